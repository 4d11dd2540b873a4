// Command busybox builds the root file system tarball of the default
// general-purpose VM image from the host's static busybox and a static
// guest agent:
//
//	CGO_ENABLED=0 go build -o bin/kubevisor-guest ./cmd/kubevisor-guest
//	go run ./hack/images/busybox -agent bin/kubevisor-guest -o bin/images/busybox-rootfs.tar.gz
//
// It needs the Debian package busybox-static (/bin/busybox).
package main
