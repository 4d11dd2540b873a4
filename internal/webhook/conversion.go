package webhook

import (
	"context"
	"fmt"
	"sort"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/version"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/conversion"

	addonsv1 "sigs.k8s.io/cluster-api/api/addons/v1beta2"
	bootstrapv1 "sigs.k8s.io/cluster-api/api/bootstrap/kubeadm/v1beta2"
	controlplanev1 "sigs.k8s.io/cluster-api/api/controlplane/kubeadm/v1beta2"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	ipamv1 "sigs.k8s.io/cluster-api/api/ipam/v1beta2"
	runtimev1 "sigs.k8s.io/cluster-api/api/runtime/v1beta2"
	bootstrapconversion "sigs.k8s.io/cluster-api/bootstrap/kubeadm/webhooks/conversion"
	controlplaneconversion "sigs.k8s.io/cluster-api/controlplane/kubeadm/webhooks/conversion"
	coreconversion "sigs.k8s.io/cluster-api/core/webhooks/conversion"
)

// ConvertPath is where the conversion webhook is served.
const ConvertPath = "/convert"

type converterFunc = func(*runtime.Scheme) (conversion.Converter, error)

// SetupClusterAPIConversion registers Cluster API's converters for every
// kind it serves in more than one version.
func SetupClusterAPIConversion(mgr ctrl.Manager) error {
	// Converting a v1beta2 reference back to v1beta1 needs the referenced
	// kind's apiVersion, which Cluster API reads from CRD contract labels.
	// Cluster API only exposes this hook as a package-level setter.
	coreconversion.SetAPIVersionGetter(func(ctx context.Context, gk schema.GroupKind) (string, error) {
		return apiVersionForContract(ctx, mgr.GetAPIReader(), mgr, gk)
	})

	type kind struct {
		obj       runtime.Object
		converter converterFunc
	}
	kinds := []kind{
		{&clusterv1.Cluster{}, coreconversion.Cluster},
		{&clusterv1.ClusterClass{}, coreconversion.ClusterClass},
		{&clusterv1.Machine{}, coreconversion.Machine},
		{&clusterv1.MachineSet{}, coreconversion.MachineSet},
		{&clusterv1.MachineDeployment{}, coreconversion.MachineDeployment},
		{&clusterv1.MachineHealthCheck{}, coreconversion.MachineHealthCheck},
		{&clusterv1.MachinePool{}, coreconversion.MachinePool},
		{&clusterv1.MachineDrainRule{}, coreconversion.MachineDrainRule},
		{&addonsv1.ClusterResourceSet{}, coreconversion.ClusterResourceSet},
		{&addonsv1.ClusterResourceSetBinding{}, coreconversion.ClusterResourceSetBinding},
		{&runtimev1.ExtensionConfig{}, coreconversion.ExtensionConfig},
		{&ipamv1.IPAddress{}, coreconversion.IPAddress},
		{&ipamv1.IPAddressClaim{}, coreconversion.IPAddressClaim},
		{&bootstrapv1.KubeadmConfig{}, bootstrapconversion.KubeadmConfig},
		{&bootstrapv1.KubeadmConfigTemplate{}, bootstrapconversion.KubeadmConfigTemplate},
		{&controlplanev1.KubeadmControlPlane{}, controlplaneconversion.KubeadmControlPlane},
		{&controlplanev1.KubeadmControlPlaneTemplate{}, controlplaneconversion.KubeadmControlPlaneTemplate},
	}
	for _, k := range kinds {
		if err := ctrl.NewWebhookManagedBy(mgr, k.obj).WithConverter(k.converter).Complete(); err != nil {
			return fmt.Errorf("registering conversion for %T: %w", k.obj, err)
		}
	}
	return nil
}

// ConversionFor returns the CRD conversion stanza that sends conversion
// requests to this process's webhook server at url with caBundle.
func ConversionFor(url string, caBundle []byte) *apiextensionsv1.CustomResourceConversion {
	return &apiextensionsv1.CustomResourceConversion{
		Strategy: apiextensionsv1.WebhookConverter,
		Webhook: &apiextensionsv1.WebhookConversion{
			ConversionReviewVersions: []string{"v1"},
			ClientConfig: &apiextensionsv1.WebhookClientConfig{
				URL:      &url,
				CABundle: caBundle,
			},
		},
	}
}

// apiVersionForContract returns the newest apiVersion that gk's CRD
// declares for the newest Cluster API contract it implements, read from
// the CRD's "cluster.x-k8s.io/<contract>" labels (versions joined by "_").
func apiVersionForContract(ctx context.Context, c client.Reader, mgr ctrl.Manager, gk schema.GroupKind) (string, error) {
	mapping, err := mgr.GetRESTMapper().RESTMapping(gk)
	if err != nil {
		return "", fmt.Errorf("finding the resource of %s: %w", gk, err)
	}
	crd := &metav1.PartialObjectMetadata{}
	crd.SetGroupVersionKind(apiextensionsv1.SchemeGroupVersion.WithKind("CustomResourceDefinition"))
	if err := c.Get(ctx, client.ObjectKey{Name: mapping.Resource.Resource + "." + gk.Group}, crd); err != nil {
		return "", fmt.Errorf("reading the CRD of %s: %w", gk, err)
	}
	return ContractAPIVersion(gk.Group, crd.GetLabels())
}

// ContractAPIVersion picks the apiVersion a CRD with labels serves for the
// newest Cluster API contract it declares.
func ContractAPIVersion(group string, labels map[string]string) (string, error) {
	for _, contract := range []string{"v1beta2", "v1beta1"} {
		v := labels[clusterv1.GroupVersion.Group+"/"+contract]
		if v == "" {
			continue
		}
		versions := strings.Split(v, "_")
		// CompareKubeAwareVersionStrings orders v1alpha1 < v1beta1 < v1.
		sort.Slice(versions, func(i, j int) bool {
			return version.CompareKubeAwareVersionStrings(versions[i], versions[j]) < 0
		})
		return schema.GroupVersion{Group: group, Version: versions[len(versions)-1]}.String(), nil
	}
	return "", fmt.Errorf("the CRDs of group %s carry no cluster.x-k8s.io/<contract> label naming their versions", group)
}
