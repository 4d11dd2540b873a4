package main

import (
	"os"

	"github.com/kubevisor/kubevisor/internal/app/kubectlvsphere"
)

func main() {
	os.Exit(kubectlvsphere.Main())
}
