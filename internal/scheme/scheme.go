package scheme

import (
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	addonsv1beta1 "sigs.k8s.io/cluster-api/api/addons/v1beta1" //nolint:staticcheck // still served; clients use it
	addonsv1 "sigs.k8s.io/cluster-api/api/addons/v1beta2"
	bootstrapv1beta1 "sigs.k8s.io/cluster-api/api/bootstrap/kubeadm/v1beta1" //nolint:staticcheck // still served; clients use it
	bootstrapv1 "sigs.k8s.io/cluster-api/api/bootstrap/kubeadm/v1beta2"
	controlplanev1beta1 "sigs.k8s.io/cluster-api/api/controlplane/kubeadm/v1beta1" //nolint:staticcheck // still served; clients use it
	controlplanev1 "sigs.k8s.io/cluster-api/api/controlplane/kubeadm/v1beta2"
	clusterv1beta1 "sigs.k8s.io/cluster-api/api/core/v1beta1" //nolint:staticcheck // still served; clients use it
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	ipamv1alpha1 "sigs.k8s.io/cluster-api/api/ipam/v1alpha1" //nolint:staticcheck // still served; clients use it
	ipamv1beta1 "sigs.k8s.io/cluster-api/api/ipam/v1beta1"   //nolint:staticcheck // still served; clients use it
	ipamv1 "sigs.k8s.io/cluster-api/api/ipam/v1beta2"
	runtimev1alpha1 "sigs.k8s.io/cluster-api/api/runtime/v1alpha1" //nolint:staticcheck // still served; clients use it
	runtimev1 "sigs.k8s.io/cluster-api/api/runtime/v1beta2"

	imageregistryv1alpha1 "github.com/kubevisor/kubevisor/api/imageregistry/v1alpha1"
	kubevisorv1alpha1 "github.com/kubevisor/kubevisor/api/kubevisor/v1alpha1"
	runv1alpha3 "github.com/kubevisor/kubevisor/api/run/v1alpha3"
	vmopv1alpha3 "github.com/kubevisor/kubevisor/api/vmoperator/v1alpha3"
	vmwarev1 "github.com/kubevisor/kubevisor/api/vmware/v1beta1"
)

// New returns a scheme holding every type kubevisor reads or writes.
func New() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	builders := []func(*runtime.Scheme) error{
		clientgoscheme.AddToScheme,
		apiextensionsv1.AddToScheme,
		kubevisorv1alpha1.AddToScheme,
		runv1alpha3.AddToScheme,
		vmopv1alpha3.AddToScheme,
		imageregistryv1alpha1.AddToScheme,
		vmwarev1.AddToScheme,
		clusterv1.AddToScheme,
		clusterv1beta1.AddToScheme,
		bootstrapv1.AddToScheme,
		bootstrapv1beta1.AddToScheme,
		controlplanev1.AddToScheme,
		controlplanev1beta1.AddToScheme,
		addonsv1.AddToScheme,
		addonsv1beta1.AddToScheme,
		ipamv1.AddToScheme,
		ipamv1beta1.AddToScheme,
		ipamv1alpha1.AddToScheme,
		runtimev1.AddToScheme,
		runtimev1alpha1.AddToScheme,
	}
	for _, add := range builders {
		if err := add(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}
