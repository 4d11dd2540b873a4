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

import "encoding/json"

// VirtualMachineBootstrapSpec chooses how the guest is configured on first
// boot. CloudInit stands alone; LinuxPrep and Sysprep exclude each other and
// either may be combined with VAppConfig.
//
// +kubebuilder:validation:XValidation:rule="!has(self.cloudInit) || !(has(self.linuxPrep) || has(self.sysprep) || has(self.vAppConfig))",message="cloudInit may not be combined with linuxPrep, sysprep or vAppConfig"
// +kubebuilder:validation:XValidation:rule="!(has(self.linuxPrep) && has(self.sysprep))",message="linuxPrep and sysprep are mutually exclusive"
type VirtualMachineBootstrapSpec struct {
	// cloudInit bootstraps Linux guests with cloud-init, or Windows guests
	// with Cloudbase-Init; the guest's network is configured by that agent.
	// +optional
	CloudInit *VirtualMachineBootstrapCloudInitSpec `json:"cloudInit,omitempty"`

	// linuxPrep bootstraps Linux guests with guest OS customization, which
	// also configures the guest's network.
	// +optional
	LinuxPrep *VirtualMachineBootstrapLinuxPrepSpec `json:"linuxPrep,omitempty"`

	// sysprep bootstraps Windows guests with a sysprep answer file, and
	// configures the guest's network with guest OS customization.
	// +optional
	Sysprep *VirtualMachineBootstrapSysprepSpec `json:"sysprep,omitempty"`

	// vAppConfig passes vApp (OVF) properties into the guest. Property values
	// may be Go templates that are filled in with the VM's network data.
	// +optional
	VAppConfig *VirtualMachineBootstrapVAppConfigSpec `json:"vAppConfig,omitempty"`

	// disabled turns bootstrap off: the guest is booted as the image left it.
	// This field appears in later vm-operator API versions; kubevisor
	// accepts it in v1alpha3 too.
	// +optional
	Disabled bool `json:"disabled,omitempty"`
}

// VirtualMachineBootstrapCloudInitSpec is the cloud-init configuration.
//
// +kubebuilder:validation:XValidation:rule="!(has(self.cloudConfig) && has(self.rawCloudConfig))",message="cloudConfig and rawCloudConfig are mutually exclusive"
type VirtualMachineBootstrapCloudInitSpec struct {
	// instanceID is the cloud-init instance ID; it defaults to the VM's BIOS
	// UUID. Changing it makes cloud-init run its first-boot modules again.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	InstanceID string `json:"instanceID,omitempty"`

	// cloudConfig is cloud-init user data written as typed fields.
	// +optional
	CloudConfig *CloudConfig `json:"cloudConfig,omitempty"`

	// rawCloudConfig selects a Secret key holding the user data, as plain
	// text, base64, or gzip then base64. Cluster API bootstrap secrets are
	// used this way (key "value" or "user-data").
	// +optional
	RawCloudConfig *SecretKeySelector `json:"rawCloudConfig,omitempty"`

	// sshAuthorizedKeys are public keys added to the guest's default user.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=16384
	SSHAuthorizedKeys []string `json:"sshAuthorizedKeys,omitempty"`

	// useGlobalNameserversAsDefault uses spec.network.nameservers for each
	// interface that sets none of its own. Defaults to true.
	// +optional
	// +kubebuilder:default=true
	UseGlobalNameserversAsDefault *bool `json:"useGlobalNameserversAsDefault,omitempty"`

	// useGlobalSearchDomainsAsDefault uses spec.network.searchDomains for each
	// interface that sets none of its own. Defaults to true.
	// +optional
	// +kubebuilder:default=true
	UseGlobalSearchDomainsAsDefault *bool `json:"useGlobalSearchDomainsAsDefault,omitempty"`
}

// VirtualMachineBootstrapLinuxPrepSpec is the Linux guest customization.
type VirtualMachineBootstrapLinuxPrepSpec struct {
	// hardwareClockIsUTC says whether the guest's hardware clock keeps UTC
	// rather than local time.
	// +optional
	HardwareClockIsUTC *bool `json:"hardwareClockIsUTC,omitempty"`

	// timeZone is a tz database name such as "Europe/Sofia".
	// +optional
	// +kubebuilder:validation:MaxLength=128
	TimeZone string `json:"timeZone,omitempty"`
}

// VirtualMachineBootstrapSysprepSpec is the Windows sysprep configuration.
//
// +kubebuilder:validation:XValidation:rule="!(has(self.sysprep) && has(self.rawSysprep))",message="sysprep and rawSysprep are mutually exclusive"
type VirtualMachineBootstrapSysprepSpec struct {
	// sysprep is the answer file as an object, with the sections and keys of
	// the vm-operator Sysprep type (guiUnattended, userData, identification,
	// guiRunOnce, licenseFilePrintData, ...). kubevisor keeps it as written
	// and does not validate its inner structure.
	// +optional
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	// +kubebuilder:pruning:PreserveUnknownFields
	Sysprep json.RawMessage `json:"sysprep,omitempty"`

	// rawSysprep selects a Secret key holding the sysprep XML, as plain text,
	// base64, or gzip then base64.
	// +optional
	RawSysprep *SecretKeySelector `json:"rawSysprep,omitempty"`
}

// VirtualMachineBootstrapVAppConfigSpec is the vApp property configuration.
//
// +kubebuilder:validation:XValidation:rule="!(has(self.properties) && has(self.rawProperties))",message="properties and rawProperties are mutually exclusive"
type VirtualMachineBootstrapVAppConfigSpec struct {
	// properties are vApp property values, keyed by property key.
	// +optional
	// +listType=map
	// +listMapKey=key
	// +kubebuilder:validation:MaxItems=256
	Properties []KeyValueOrSecretKeySelectorPair `json:"properties,omitempty"`

	// rawProperties names a Secret in the VM's namespace whose every
	// key/value pair is a vApp property.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	RawProperties string `json:"rawProperties,omitempty"`
}
