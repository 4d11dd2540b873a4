package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kubevisor/kubevisor/internal/provider/local/busyboximage"
)

func main() {
	var o busyboximage.Options
	flag.StringVar(&o.Busybox, "busybox", "/bin/busybox", "static busybox binary")
	flag.StringVar(&o.Agent, "agent", "bin/kubevisor-guest", "static kubevisor-guest binary")
	flag.StringVar(&o.Output, "o", "bin/images/busybox-rootfs.tar.gz", "output .tar.gz")
	flag.Parse()
	err := os.MkdirAll(filepath.Dir(o.Output), 0o755)
	if err == nil {
		err = busyboximage.Build(o)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "busybox image: %v\n", err)
		os.Exit(1)
	}
	fmt.Println(o.Output)
}
