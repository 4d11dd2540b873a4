// Package mounts reads the host's mount table (/proc/self/mountinfo) and
// detaches mounts below a directory: what the local VM provider does when
// a VM's disk is torn down or a Publish was interrupted, and what the TKR
// builder does after running containerd on a root of its own.
package mounts
