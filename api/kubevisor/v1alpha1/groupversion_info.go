/*
Copyright 2026 The kubevisor Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is the group and version of every type in this package.
	GroupVersion = schema.GroupVersion{Group: "kubevisor.io", Version: "v1alpha1"}

	// schemeBuilder collects the functions that register this package's types.
	schemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme registers the types of this group-version with a scheme.
	AddToScheme = schemeBuilder.AddToScheme
)

// addKnownTypes registers every kind of this group-version, and its list,
// with scheme.
func addKnownTypes(scheme *runtime.Scheme) error {
	scheme.AddKnownTypes(GroupVersion,
		&SupervisorNamespace{}, &SupervisorNamespaceList{},
		&ClusterVirtualMachineClass{}, &ClusterVirtualMachineClassList{},
		&StoragePolicy{}, &StoragePolicyList{},
		&User{}, &UserList{},
		&Group{}, &GroupList{},
		&Zone{}, &ZoneList{},
		&LoadBalancerPool{}, &LoadBalancerPoolList{},
		&OIDCProvider{}, &OIDCProviderList{},
	)
	metav1.AddToGroupVersion(scheme, GroupVersion)
	return nil
}
