package kubevisor

import (
	"context"
	"os"

	"k8s.io/klog/v2"
)

// exitQuietlyWhenStopping makes a component that ends the process through
// klog (klog.Fatal, klog.FlushAndExit) end it with status 0 once a stop
// has been asked for.
//
// Embedded Kubernetes components do this when they lose the API server,
// for example kube-controller-manager's client builders and its namespace
// controller while it builds its controllers. During a stop that is the
// stop asked for, not a failure: the datastore is safe against the
// process ending at any moment, as it is against SIGKILL. Before a stop
// the exit status is theirs, as it would be in kube-controller-manager.
func exitQuietlyWhenStopping(stopping context.Context) {
	klog.OsExit = func(code int) {
		if code != 0 && stopping.Err() != nil {
			klog.Background().Info("A component ended the process while the Supervisor was stopping; the stop is complete", "code", code)
			klog.Flush()
			os.Exit(0)
		}
		os.Exit(code)
	}
}
