// Package virtualmachinepublishrequest is the VM Service's
// VirtualMachinePublishRequest controller: it captures a VirtualMachine's
// disk as a new item of a content library, from which the content library
// controllers make a VirtualMachineImage that new VMs can be deployed from.
//
// A request passes its conditions in order:
//
//   - SourceValid: spec.source names a VirtualMachine of the request's
//     namespace (the request's own name when omitted) that the provider has
//     created (status.uniqueID is set).
//   - TargetValid: spec.target.location names a writable, ready
//     ContentLibrary of the namespace (the one labelled
//     imageregistry.vmware.com/default when omitted) without an item called
//     spec.target.item.name ("<source>-image" when omitted).
//   - Uploaded: the provider (a provider.Publisher) has written the VM's
//     disk into a work directory, the disk has been packaged as an OVA
//     (package ova) with the VM class's hardware and the source image's
//     guest OS and OVF properties, and the library service has imported it.
//   - ImageAvailable: the item's VirtualMachineImage exists in the namespace
//     and is Ready; status.imageName names it.
//   - Complete: all of the above; status.ready and status.completionTime are
//     then set and the request is never acted on again, except to delete it
//     spec.ttlSecondsAfterFinished seconds later.
//
// A provider that cannot publish (no Publisher) finishes every request with
// Complete=False, reason NotSupported.
//
// Crash safety: the item's name and UUID are derived from the library and
// spec.target.item.name, and the OVA carries the request's UID as the OVF
// property PublishRequestUIDProperty. An item that already exists with this
// request's UID was imported by an earlier pass that did not get to record
// it, so the request goes on to wait for its image instead of failing with
// TargetItemAlreadyExists or importing a second copy. Work files live in
// <work dir>/<request UID> and are removed after every attempt.
package virtualmachinepublishrequest
