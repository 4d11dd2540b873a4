package main

import (
	"os"

	"github.com/kubevisor/kubevisor/internal/app/kubevisor"
)

func main() {
	os.Exit(kubevisor.Main())
}
