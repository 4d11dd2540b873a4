// Package tkg is the TKG layer: the builtin ClusterClass, TKR resolution and
// cluster admission.
package tkg
