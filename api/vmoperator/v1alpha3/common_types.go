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

package v1alpha3

// LocalObjectRef points at an object in the referrer's namespace by its
// full type and name.
type LocalObjectRef struct {
	// apiVersion is the group/version of the referenced object, for example
	// "vmoperator.vmware.com/v1alpha3".
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=317
	APIVersion string `json:"apiVersion"`

	// kind is the kind of the referenced object, in CamelCase.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Kind string `json:"kind"`

	// name is the name of the referenced object.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// PartialObjectRef points at an object in the referrer's namespace by name;
// the type may be left out when the context implies it.
type PartialObjectRef struct {
	// apiVersion is the group/version of the referenced object.
	// +optional
	// +kubebuilder:validation:MaxLength=317
	APIVersion string `json:"apiVersion,omitempty"`

	// kind is the kind of the referenced object, in CamelCase.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Kind string `json:"kind,omitempty"`

	// name is the name of the referenced object.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// SecretKeySelector selects one key of a Secret in the referrer's namespace.
type SecretKeySelector struct {
	// name is the name of the Secret.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// key is the key within the Secret's data whose value is used.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Key string `json:"key"`
}

// KeyValuePair is one entry of a map written as a list.
type KeyValuePair struct {
	// key is the entry's key.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Key string `json:"key"`

	// value is the entry's value; it may be empty.
	// +optional
	// +kubebuilder:validation:MaxLength=8192
	Value string `json:"value,omitempty"`
}

// ValueOrSecretKeySelector gives a value either inline or from a Secret key.
// +kubebuilder:validation:XValidation:rule="!(has(self.from) && has(self.value))",message="from and value are mutually exclusive"
type ValueOrSecretKeySelector struct {
	// from selects the Secret key that holds the value.
	// +optional
	From *SecretKeySelector `json:"from,omitempty"`

	// value is the value itself.
	// +optional
	// +kubebuilder:validation:MaxLength=65536
	Value *string `json:"value,omitempty"`
}

// KeyValueOrSecretKeySelectorPair is one entry of a map written as a list,
// whose value may come from a Secret.
type KeyValueOrSecretKeySelectorPair struct {
	// key is the entry's key.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Key string `json:"key"`

	// value is the entry's value, inline or from a Secret key.
	// +optional
	Value ValueOrSecretKeySelector `json:"value,omitempty,omitzero"`
}
