package main

import (
	"context"
	"os"

	"github.com/kubevisor/kubevisor/internal/guest"
)

func main() {
	os.Exit(guest.Main(context.Background(), os.Args, os.Stdout, os.Stderr))
}
