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

// CloudConfig is the part of cloud-init's cloud-config user data that can be
// written as typed fields on a VirtualMachine. Secrets (passwords, file
// contents) are referenced, never inlined. Anything beyond this subset is
// given through rawCloudConfig instead.
type CloudConfig struct {
	// timezone is the guest's time zone, a name under /usr/share/zoneinfo.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	Timezone string `json:"timezone,omitempty"`

	// defaultUserEnabled keeps the image's default user even when users
	// lists other users.
	// +optional
	DefaultUserEnabled bool `json:"defaultUserEnabled,omitempty"`

	// users are users to create or configure in the guest.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=64
	Users []CloudConfigUser `json:"users,omitempty"`

	// runcmd are commands run once on first boot. Each entry is either a
	// string run by the shell or a list of the command and its arguments.
	// +optional
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:pruning:PreserveUnknownFields
	RunCmd json.RawMessage `json:"runcmd,omitempty"`

	// write_files are files written to the guest's file system.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=128
	WriteFiles []CloudConfigWriteFile `json:"write_files,omitempty"`

	// ssh_pwauth says whether SSH accepts password authentication.
	// +optional
	SSHPwdAuth *bool `json:"ssh_pwauth,omitempty"`
}

// CloudConfigUser is one cloud-config user. When name is "default" the
// image's default user is meant and no other field may be set.
type CloudConfigUser struct {
	// name is the login name, or "default".
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Name string `json:"name"`

	// create_groups creates the groups listed in groups; true by default for
	// users other than "default".
	// +optional
	CreateGroups *bool `json:"create_groups,omitempty"`

	// expiredate is the date (YYYY-MM-DD) the account is disabled.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	ExpireDate *string `json:"expiredate,omitempty"`

	// gecos is the user's comment field.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Gecos *string `json:"gecos,omitempty"`

	// groups are additional groups the user joins.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=256
	Groups []string `json:"groups,omitempty"`

	// hashed_passwd selects a Secret key holding a password hash applied
	// even when the user already exists.
	// +optional
	HashedPasswd *SecretKeySelector `json:"hashed_passwd,omitempty"`

	// homedir is the home directory; /home/<name> by default.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	Homedir *string `json:"homedir,omitempty"`

	// inactive is the number of days after the password expires until the
	// account is disabled.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Inactive *int32 `json:"inactive,omitempty"`

	// lock_passwd disables password login; true by default for users other
	// than "default".
	// +optional
	LockPasswd *bool `json:"lock_passwd,omitempty"`

	// no_create_home skips creating the home directory.
	// +optional
	NoCreateHome *bool `json:"no_create_home,omitempty"`

	// no_log_init skips initialising lastlog and faillog for the user.
	// +optional
	NoLogInit *bool `json:"no_log_init,omitempty"`

	// no_user_group skips creating a group named after the user.
	// +optional
	NoUserGroup *bool `json:"no_user_group,omitempty"`

	// passwd selects a Secret key holding a password hash applied only when
	// the user is created.
	// +optional
	Passwd *SecretKeySelector `json:"passwd,omitempty"`

	// primary_group is the user's primary group; the user's name by default.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	PrimaryGroup *string `json:"primary_group,omitempty"`

	// selinux_user is the SELinux user for the user's logins.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	SELinuxUser *string `json:"selinux_user,omitempty"`

	// shell is the login shell's path.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	Shell *string `json:"shell,omitempty"`

	// snapuser is an e-mail address for creating a Snappy user.
	// +optional
	// +kubebuilder:validation:MaxLength=320
	SnapUser *string `json:"snapuser,omitempty"`

	// ssh_authorized_keys are public keys authorised for the user.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=16384
	SSHAuthorizedKeys []string `json:"ssh_authorized_keys,omitempty"`

	// ssh_import_id are SSH IDs (for example "gh:user") to import keys from.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=256
	SSHImportID []string `json:"ssh_import_id,omitempty"`

	// ssh_redirect_user refuses SSH logins as this user and points the
	// client at the default user instead.
	// +optional
	SSHRedirectUser *bool `json:"ssh_redirect_user,omitempty"`

	// sudo is a sudoers rule for the user; none when omitted.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	Sudo *string `json:"sudo,omitempty"`

	// system creates a system user, without a home directory by default.
	// +optional
	System *bool `json:"system,omitempty"`

	// uid is the user's numeric ID; the next free one when omitted.
	// +optional
	// +kubebuilder:validation:Minimum=0
	UID *int64 `json:"uid,omitempty"`
}

// CloudConfigWriteFileEncoding is how a write_files entry's content is
// encoded.
// +kubebuilder:validation:Enum=b64;base64;gz;gzip;"gz+b64";"gz+base64";"gzip+b64";"gzip+base64";"text/plain"
type CloudConfigWriteFileEncoding string

// CloudConfigWriteFile is one cloud-config write_files entry.
type CloudConfigWriteFile struct {
	// path is the absolute path the file is written to.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=4096
	Path string `json:"path"`

	// content is the file's content: either a string, or an object
	// {"name": <secret>, "key": <key>} selecting a Secret key that holds it.
	// An empty file is written when omitted.
	// +optional
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:pruning:PreserveUnknownFields
	Content json.RawMessage `json:"content,omitempty"`

	// append appends to the file instead of replacing it.
	// +optional
	Append bool `json:"append,omitempty"`

	// defer writes the file in cloud-init's final stage, after users and
	// packages exist.
	// +optional
	Defer bool `json:"defer,omitempty"`

	// encoding is how content is encoded.
	// +optional
	// +kubebuilder:default="text/plain"
	Encoding CloudConfigWriteFileEncoding `json:"encoding,omitempty"`

	// owner is "user:group" to give the file to.
	// +optional
	// +kubebuilder:default="root:root"
	// +kubebuilder:validation:MaxLength=512
	Owner string `json:"owner,omitempty"`

	// permissions is the file's octal mode, for example "0644".
	// +optional
	// +kubebuilder:default="0644"
	// +kubebuilder:validation:MaxLength=8
	Permissions string `json:"permissions,omitempty"`
}
