// Package busyboximage builds the root file system of the default
// general-purpose VM image: a static busybox with its applets as links,
// the kubevisor guest agent as /sbin/init with systemctl linked to it, and
// the few files a small Linux system needs. The output is a gzip-compressed
// tar, the disk payload the local provider boots. The build is
// reproducible: the same busybox and agent give the same bytes.
package busyboximage
