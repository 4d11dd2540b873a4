// Package clusterclass keeps the builtin `tanzukubernetescluster`
// ClusterClass and its templates in the Supervisor's system namespace and
// in every Supervisor namespace, as vSphere 8 does, so that manifests that
// name the class without a namespace work unchanged.
package clusterclass
