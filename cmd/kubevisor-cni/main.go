package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/kubevisor/kubevisor/internal/cni"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cni.Main(ctx, os.Args, os.Stderr)
	stop()
	os.Exit(code)
}
