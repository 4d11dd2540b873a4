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

package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupName is the API group of the supervisor-mode infrastructure provider.
const GroupName = "vmware.infrastructure.cluster.x-k8s.io"

var (
	// GroupVersion is the group and version these types are registered under.
	GroupVersion = schema.GroupVersion{Group: GroupName, Version: "v1beta1"}

	// schemeBuilder collects the functions that add this group-version's
	// types to a scheme.
	schemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds every kind of this group-version to the given scheme.
	AddToScheme = schemeBuilder.AddToScheme
)

// addKnownTypes registers every root kind and its list with the scheme.
func addKnownTypes(scheme *runtime.Scheme) error {
	scheme.AddKnownTypes(GroupVersion,
		&VSphereCluster{},
		&VSphereClusterList{},
		&VSphereClusterTemplate{},
		&VSphereClusterTemplateList{},
		&VSphereMachine{},
		&VSphereMachineList{},
		&VSphereMachineTemplate{},
		&VSphereMachineTemplateList{},
	)
	metav1.AddToGroupVersion(scheme, GroupVersion)
	return nil
}
