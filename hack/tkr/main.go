package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/kubevisor/kubevisor/hack/tkr/builder"
)

func main() {
	var o builder.Options
	flag.StringVar(&o.Kubernetes, "kubernetes", builder.DefaultKubernetes, "Kubernetes version")
	flag.StringVar(&o.Build, "build", builder.DefaultBuild, "distribution build suffix of the release version")
	flag.StringVar(&o.ImageRepository, "image-repository", builder.DefaultImageRepository, "repository the images are named under (kubeadm's imageRepository)")
	flag.StringVar(&o.Output, "o", "", "output directory (default build/tkr/<kubernetes version>)")
	flag.StringVar(&o.Cache, "cache", filepath.Join("build", "tkr", "cache"), "directory for what releases share (the Debian base)")
	flag.StringVar(&o.Repo, "repo", ".", "kubevisor's source tree")
	flag.StringVar(&o.Mirror, "mirror", builder.DefaultMirror, "Debian mirror")
	flag.StringVar(&o.SecurityMirror, "security-mirror", builder.DefaultSecurityMirror, "Debian security mirror")
	flag.StringVar(&o.Suite, "suite", builder.DefaultSuite, "Debian release")
	flag.StringVar(&o.CNIVersion, "cni-version", builder.DefaultCNIVersion, "containernetworking/plugins version")
	flag.StringVar(&o.Go, "go", "go", "go command")
	only := flag.String("only", "", "comma-separated steps to run alone (module, kubernetes, coredns, cni, pause, kubevisor, debian, images, rootfs, package)")
	flag.Parse()
	if *only != "" {
		o.Only = strings.Split(*only, ",")
	}
	if o.Output == "" {
		o.Output = filepath.Join("build", "tkr", o.Kubernetes)
	}
	o.Log = os.Stderr
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := builder.Run(ctx, o); err != nil {
		fmt.Fprintf(os.Stderr, "tkr: %v\n", err)
		os.Exit(1)
	}
}
