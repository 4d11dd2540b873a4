package library

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	imgregv1 "github.com/kubevisor/kubevisor/api/imageregistry/v1alpha1"
	vmopv1 "github.com/kubevisor/kubevisor/api/vmoperator/v1alpha3"
)

// Kinds of the imageregistry and vmoperator objects this package handles.
const (
	KindClusterContentLibrary      = "ClusterContentLibrary"
	KindContentLibrary             = "ContentLibrary"
	KindClusterContentLibraryItem  = "ClusterContentLibraryItem"
	KindContentLibraryItem         = "ContentLibraryItem"
	KindClusterVirtualMachineImage = "ClusterVirtualMachineImage"
	KindVirtualMachineImage        = "VirtualMachineImage"
)

// LibrarySpec returns the spec shared by ClusterContentLibrary and
// ContentLibrary, or nil for another object.
func LibrarySpec(obj client.Object) *imgregv1.BaseContentLibrarySpec {
	switch l := obj.(type) {
	case *imgregv1.ClusterContentLibrary:
		return &l.Spec.BaseContentLibrarySpec
	case *imgregv1.ContentLibrary:
		return &l.Spec.BaseContentLibrarySpec
	}
	return nil
}

// LibraryStatus returns a library's status, or nil for another object.
func LibraryStatus(obj client.Object) *imgregv1.ContentLibraryStatus {
	switch l := obj.(type) {
	case *imgregv1.ClusterContentLibrary:
		return &l.Status
	case *imgregv1.ContentLibrary:
		return &l.Status
	}
	return nil
}

// LibraryRef is how an item refers to its library.
func LibraryRef(lib client.Object) imgregv1.NameAndKindRef {
	kind := KindContentLibrary
	if _, ok := lib.(*imgregv1.ClusterContentLibrary); ok {
		kind = KindClusterContentLibrary
	}
	return imgregv1.NameAndKindRef{Kind: kind, Name: lib.GetName()}
}

// IsBinding reports whether lib is a namespace's binding of a
// ClusterContentLibrary (made by the namespace service), which has no items
// of its own: the cluster library's items appear in the namespace as
// VirtualMachineImages.
func IsBinding(lib client.Object) bool {
	_, ok := lib.(*imgregv1.ContentLibrary)
	return ok && lib.GetLabels()[ManagedByLabel] == ManagedBySupervisorNamespace
}

// ItemSpec returns an item's spec, or nil for another object.
func ItemSpec(obj client.Object) *imgregv1.ContentLibraryItemSpec {
	switch i := obj.(type) {
	case *imgregv1.ClusterContentLibraryItem:
		return &i.Spec
	case *imgregv1.ContentLibraryItem:
		return &i.Spec
	}
	return nil
}

// ItemStatusOf returns an item's status, or nil for another object.
func ItemStatusOf(obj client.Object) *imgregv1.ContentLibraryItemStatus {
	switch i := obj.(type) {
	case *imgregv1.ClusterContentLibraryItem:
		return &i.Status
	case *imgregv1.ContentLibraryItem:
		return &i.Status
	}
	return nil
}

// ImageStatusOf returns an image's status, or nil for another object.
func ImageStatusOf(obj client.Object) *vmopv1.VirtualMachineImageStatus {
	switch i := obj.(type) {
	case *vmopv1.ClusterVirtualMachineImage:
		return &i.Status
	case *vmopv1.VirtualMachineImage:
		return &i.Status
	}
	return nil
}

// ImageSpecOf returns an image's spec, or nil for another object.
func ImageSpecOf(obj client.Object) *vmopv1.VirtualMachineImageSpec {
	switch i := obj.(type) {
	case *vmopv1.ClusterVirtualMachineImage:
		return &i.Spec
	case *vmopv1.VirtualMachineImage:
		return &i.Spec
	}
	return nil
}

// ItemKind is the kind of an item object.
func ItemKind(item client.Object) string {
	if _, ok := item.(*imgregv1.ClusterContentLibraryItem); ok {
		return KindClusterContentLibraryItem
	}
	return KindContentLibraryItem
}

// NewItemFor returns an empty item object of the kind lib holds.
func NewItemFor(lib client.Object) client.Object {
	if _, ok := lib.(*imgregv1.ClusterContentLibrary); ok {
		return &imgregv1.ClusterContentLibraryItem{}
	}
	return &imgregv1.ContentLibraryItem{}
}

// NewLibraryFor returns an empty library object of the kind that holds
// item.
func NewLibraryFor(item client.Object) client.Object {
	if _, ok := item.(*imgregv1.ClusterContentLibraryItem); ok {
		return &imgregv1.ClusterContentLibrary{}
	}
	return &imgregv1.ContentLibrary{}
}

// ItemObject returns a new item object of lib, owned by it.
func ItemObject(lib client.Object, name, uuid string) client.Object {
	item := NewItemFor(lib)
	item.SetName(name)
	item.SetNamespace(lib.GetNamespace())
	ref := LibraryRef(lib)
	yes := true
	item.SetOwnerReferences([]metav1.OwnerReference{{
		APIVersion: imgregv1.GroupVersion.String(), Kind: ref.Kind, Name: lib.GetName(), UID: lib.GetUID(), Controller: &yes,
	}})
	ItemSpec(item).UUID = uuid
	return item
}

// LibraryOf returns the name of the library that owns item ("" if none).
func LibraryOf(item client.Object) string {
	want := KindContentLibrary
	if _, ok := item.(*imgregv1.ClusterContentLibraryItem); ok {
		want = KindClusterContentLibrary
	}
	for _, ref := range item.GetOwnerReferences() {
		if ref.Kind == want && ref.APIVersion == imgregv1.GroupVersion.String() {
			return ref.Name
		}
	}
	if ref := ItemStatusOf(item).ContentLibraryRef; ref != nil && (ref.Kind == want || ref.Kind == "") {
		return ref.Name
	}
	return ""
}

// describe names an object for messages: "ClusterContentLibrary tkr" or
// "ContentLibrary team-a/images".
func describe(obj client.Object) string {
	kind := ""
	switch obj.(type) {
	case *imgregv1.ClusterContentLibrary:
		kind = KindClusterContentLibrary
	case *imgregv1.ContentLibrary:
		kind = KindContentLibrary
	case *imgregv1.ClusterContentLibraryItem:
		kind = KindClusterContentLibraryItem
	case *imgregv1.ContentLibraryItem:
		kind = KindContentLibraryItem
	}
	if obj.GetNamespace() != "" {
		return fmt.Sprintf("%s %s/%s", kind, obj.GetNamespace(), obj.GetName())
	}
	return fmt.Sprintf("%s %s", kind, obj.GetName())
}
