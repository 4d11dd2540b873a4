package clusterapi

import (
	"context"
	"fmt"
	"sort"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/version"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
)

// apiVersionForContract returns the apiVersion that gk's CRD serves for the
// newest Cluster API contract it declares.
func apiVersionForContract(ctx context.Context, mgr ctrl.Manager, gk schema.GroupKind) (string, error) {
	mapping, err := mgr.GetRESTMapper().RESTMapping(gk)
	if err != nil {
		return "", fmt.Errorf("finding the resource of %s: %w", gk, err)
	}
	crd := &metav1.PartialObjectMetadata{}
	crd.SetGroupVersionKind(apiextensionsv1.SchemeGroupVersion.WithKind("CustomResourceDefinition"))
	if err := mgr.GetAPIReader().Get(ctx, client.ObjectKey{Name: mapping.Resource.Resource + "." + gk.Group}, crd); err != nil {
		return "", fmt.Errorf("reading the CRD of %s: %w", gk, err)
	}
	return ContractAPIVersion(gk.Group, crd.GetLabels())
}

// ContractAPIVersion picks the apiVersion a CRD with labels serves for the
// newest Cluster API contract it declares: the labels are
// "cluster.x-k8s.io/<contract>: <version>[_<version>...]".
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
