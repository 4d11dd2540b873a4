// Command kubectl-vsphere is the kubectl plugin that logs users in to a
// Supervisor: `kubectl vsphere login` and `kubectl vsphere logout`.
package main

import (
	"os"

	"github.com/kubevisor/kubevisor/internal/app/kubectlvsphere"
)

func main() {
	os.Exit(kubectlvsphere.Main())
}
