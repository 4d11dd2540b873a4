// Package storagepolicy turns each StoragePolicy (the administrator's
// definition of a kind of storage, as a vCenter storage policy is in
// vSphere) into a StorageClass of the same name: provisioner
// "kubevisor.io/<provider>", the policy's parameters, reclaim policy Delete,
// immediate binding and volume expansion allowed. The StorageClass is owned
// by its policy, so deleting the policy deletes it.
//
// The provisioners themselves (creating volumes for claims of these
// classes) come with a later issue; until then claims of these classes
// stay Pending. SupervisorNamespaces decide which namespaces may use which
// class (see package supervisornamespace).
package storagepolicy
