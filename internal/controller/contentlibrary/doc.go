// Package contentlibrary is the image service's controllers: it keeps
// content libraries, their items and the VM Service images made from them
// in step with the content the library service (package library) stores.
//
//   - ClusterContentLibrary and ContentLibrary: status (type, publication
//     URL, subscription), the synchronisation of a subscribed library with
//     its publisher every pollInterval and at once when its spec changes
//     (item objects created and deleted to match the publisher's index),
//     and on deletion the removal of its items and stored content. A
//     ContentLibrary that binds a cluster library into a namespace (made by
//     the namespace service) only mirrors the cluster library's status.
//   - ClusterContentLibraryItem and ContentLibraryItem: status from the
//     stored content or the publisher's index (Ready=False with
//     ContentDigestMismatch when a download fails verification), the
//     download of subscribed items that are not on demand, and the images:
//     a ClusterVirtualMachineImage per cluster item plus a
//     VirtualMachineImage in every namespace that binds its library, or a
//     VirtualMachineImage per namespaced item, named "vmi-<id>" after the
//     item's "clitem-<id>" as vm-operator names them. Deleting an item
//     deletes its images and files.
//
// SetupWithManager registers everything and returns the library service,
// whose Handler the Supervisor serves and whose Locate/Image/Ensure the VM
// Service uses. Controllers compare before they write, so they go quiet
// once everything matches; only subscribed libraries wake up on their own,
// to poll their publisher.
package contentlibrary
