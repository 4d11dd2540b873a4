// Command ova wraps a root file system tarball (or a VMDK) into an OVA that
// a kubevisor content library accepts: an OVF descriptor with the image's
// metadata, a SHA-256 manifest, and the disk. The default image is made
// from the busybox root file system (hack/images/busybox):
//
//	go run ./hack/images/ova -rootfs bin/images/busybox-rootfs.tar.gz \
//	    -o bin/images/kubevisor-busybox.ova -cloud-init \
//	    -os-type otherLinux64Guest -os-version 1 -os-name busybox \
//	    -product "kubevisor busybox" -vendor kubevisor -version 1.0
//
// Every .ova in bin/images is imported into the default library
// "kubevisor-default" when the Supervisor starts, as the item named after
// the file. Metadata for other images (a Kubernetes release's versions, for
// example) goes in -property key=value, repeated; -user-property declares an
// OVF property a user may set at deployment (vAppConfig).
package main
