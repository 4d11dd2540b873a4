package virtualmachinepublishrequest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	imgregv1 "github.com/kubevisor/kubevisor/api/imageregistry/v1alpha1"
	vmopv1 "github.com/kubevisor/kubevisor/api/vmoperator/v1alpha3"
	"github.com/kubevisor/kubevisor/internal/library"
	"github.com/kubevisor/kubevisor/internal/ova"
	"github.com/kubevisor/kubevisor/internal/provider"
)

// Defaults of spec.source and spec.target.location, as the schema sets
// them.
const (
	defaultSourceAPIVersion = "vmoperator.vmware.com/v1alpha1"
	defaultSourceKind       = "VirtualMachine"
	defaultTargetAPIVersion = "imageregistry.vmware.com/v1alpha1"
	defaultTargetKind       = library.KindContentLibrary
)

// sourceName is the name of the VM to publish: spec.source.name, or the
// request's own name.
func sourceName(pr *vmopv1.VirtualMachinePublishRequest) string {
	if pr.Spec.Source.Name != "" {
		return pr.Spec.Source.Name
	}
	return pr.Name
}

// resolveSource finds the VM to publish and records it in status.sourceRef.
// A VM that cannot be published gives a problem; err is for API failures.
func (r *Reconciler) resolveSource(ctx context.Context, pr *vmopv1.VirtualMachinePublishRequest) (*vmopv1.VirtualMachine, *problem, error) {
	src := pr.Spec.Source
	ref := vmopv1.VirtualMachinePublishRequestSource{Name: sourceName(pr), APIVersion: src.APIVersion, Kind: src.Kind}
	if ref.APIVersion == "" {
		ref.APIVersion = defaultSourceAPIVersion
	}
	if ref.Kind == "" {
		ref.Kind = defaultSourceKind
	}
	pr.Status.SourceRef = &ref
	field := "spec.source.name"
	if src.Name == "" {
		field = "the request's name (spec.source.name is empty)"
	}

	if gv, err := schema.ParseGroupVersion(ref.APIVersion); err != nil || gv.Group != vmopv1.GroupVersion.Group {
		return nil, &problem{reason: vmopv1.InvalidReason,
			message: fmt.Sprintf("spec.source.apiVersion %q is not of group %s: omit it or set it to %s", ref.APIVersion, vmopv1.GroupVersion.Group, vmopv1.GroupVersion)}, nil
	}
	if ref.Kind != defaultSourceKind {
		return nil, &problem{reason: vmopv1.InvalidReason,
			message: fmt.Sprintf("spec.source.kind %q cannot be published: omit it or set it to VirtualMachine", ref.Kind)}, nil
	}
	vm := &vmopv1.VirtualMachine{}
	if err := r.Client.Get(ctx, client.ObjectKey{Namespace: pr.Namespace, Name: ref.Name}, vm); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, &problem{reason: vmopv1.SourceVirtualMachineNotExistReason,
				message: fmt.Sprintf("VirtualMachine %q, named by %s, does not exist in namespace %s: set spec.source.name to one of its VMs (kubectl get vm -n %s)", ref.Name, field, pr.Namespace, pr.Namespace)}, nil
		}
		return nil, nil, fmt.Errorf("reading VirtualMachine %s/%s: %w", pr.Namespace, ref.Name, err)
	}
	switch {
	case !vm.DeletionTimestamp.IsZero():
		return nil, &problem{reason: vmopv1.SourceVirtualMachineNotExistReason,
			message: fmt.Sprintf("VirtualMachine %q, named by %s, is being deleted", ref.Name, field)}, nil
	case vm.Status.UniqueID == "":
		return nil, &problem{reason: vmopv1.SourceVirtualMachineNotCreatedReason,
			message: fmt.Sprintf("VirtualMachine %q, named by %s, has not been created by the provider yet (status.uniqueID is empty); the request goes on once it is", ref.Name, field)}, nil
	}
	return vm, nil, nil
}

// target is a resolved spec.target.
type target struct {
	lib *imgregv1.ContentLibrary
	// itemName is the item's display name; itemUUID its UUID and
	// itemObject the name of its ContentLibraryItem, both derived from
	// the library and itemName.
	itemName, itemUUID, itemObject string
	description                    string
	// published says the item exists and was imported by this request.
	published bool
}

// imageName is the name of the VirtualMachineImage made from the item.
func (t *target) imageName() string { return library.ImageName(t.itemObject, t.itemUUID) }

// resolveTarget finds the library to publish to and records the target in
// status.targetRef. With checkItem it also makes sure that no other item
// has the target name. A target that cannot be used gives a problem; err
// is for API failures.
func (r *Reconciler) resolveTarget(ctx context.Context, pr *vmopv1.VirtualMachinePublishRequest, checkItem bool) (*target, *problem, error) {
	spec := pr.Spec.Target
	ref := vmopv1.VirtualMachinePublishRequestTarget{Item: spec.Item, Location: spec.Location}
	if ref.Item.Name == "" {
		ref.Item.Name = sourceName(pr) + "-image"
	}
	if ref.Location.APIVersion == "" {
		ref.Location.APIVersion = defaultTargetAPIVersion
	}
	if ref.Location.Kind == "" {
		ref.Location.Kind = defaultTargetKind
	}
	pr.Status.TargetRef = &ref
	ns := pr.Namespace

	if gv, err := schema.ParseGroupVersion(ref.Location.APIVersion); err != nil || gv.Group != imgregv1.GroupVersion.Group {
		return nil, &problem{reason: vmopv1.InvalidReason,
			message: fmt.Sprintf("spec.target.location.apiVersion %q is not of group %s: omit it or set it to %s", ref.Location.APIVersion, imgregv1.GroupVersion.Group, imgregv1.GroupVersion)}, nil
	}
	if ref.Location.Kind != library.KindContentLibrary {
		return nil, &problem{reason: vmopv1.InvalidReason,
			message: fmt.Sprintf("spec.target.location.kind %q is not supported: a request publishes to a ContentLibrary of its own namespace; omit the kind or set it to ContentLibrary", ref.Location.Kind)}, nil
	}
	if p := checkItemName(ref.Item.Name); p != nil {
		return nil, p, nil
	}

	lib := &imgregv1.ContentLibrary{}
	if ref.Location.Name == "" {
		list := &imgregv1.ContentLibraryList{}
		if err := r.Client.List(ctx, list, client.InNamespace(ns), client.HasLabels{DefaultTargetLabel}); err != nil {
			return nil, nil, fmt.Errorf("listing the ContentLibraries of namespace %s: %w", ns, err)
		}
		switch len(list.Items) {
		case 0:
			return nil, &problem{reason: vmopv1.TargetContentLibraryNotExistReason,
				message: fmt.Sprintf("spec.target.location.name is empty and no ContentLibrary of namespace %s has the label %s: name a writable ContentLibrary (kubectl get contentlibrary -n %s)", ns, DefaultTargetLabel, ns)}, nil
		case 1:
			lib = &list.Items[0]
		default:
			return nil, &problem{reason: vmopv1.InvalidReason,
				message: fmt.Sprintf("spec.target.location.name is empty and %d ContentLibraries of namespace %s have the label %s: name one in spec.target.location.name", len(list.Items), ns, DefaultTargetLabel)}, nil
		}
		ref.Location.Name = lib.Name
	} else if err := r.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: ref.Location.Name}, lib); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, &problem{reason: vmopv1.TargetContentLibraryNotExistReason,
				message: fmt.Sprintf("spec.target.location.name: ContentLibrary %q does not exist in namespace %s (kubectl get contentlibrary -n %s)", ref.Location.Name, ns, ns)}, nil
		}
		return nil, nil, fmt.Errorf("reading ContentLibrary %s/%s: %w", ns, ref.Location.Name, err)
	}
	if p := checkLibrary(lib); p != nil {
		return nil, p, nil
	}

	t := &target{lib: lib, itemName: ref.Item.Name, description: ref.Item.Description}
	t.itemUUID = library.LocalItemUUID(lib.Spec.UUID, t.itemName)
	t.itemObject = library.ItemObjectName(t.itemUUID)
	if !checkItem {
		return t, nil, nil
	}
	item := &imgregv1.ContentLibraryItem{}
	switch err := r.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: t.itemObject}, item); {
	case apierrors.IsNotFound(err):
		return t, nil, nil
	case err != nil:
		return nil, nil, fmt.Errorf("reading ContentLibraryItem %s/%s: %w", ns, t.itemObject, err)
	}
	if r.publishedBy(ctx, t.itemUUID) == string(pr.UID) {
		t.published = true
		return t, nil, nil
	}
	return nil, &problem{reason: vmopv1.TargetItemAlreadyExistsReason,
		message: fmt.Sprintf("spec.target.item.name: ContentLibrary %q already has an item %q (ContentLibraryItem %s): choose another name, or delete that item", lib.Name, t.itemName, t.itemObject)}, nil
}

// checkLibrary says why lib cannot take a published item, or nil.
func checkLibrary(lib *imgregv1.ContentLibrary) *problem {
	notWritable := func(why, fix string) *problem {
		return &problem{reason: vmopv1.TargetContentLibraryNotWritableReason,
			message: fmt.Sprintf("ContentLibrary %q (spec.target.location.name) %s: %s", lib.Name, why, fix)}
	}
	switch {
	case library.IsBinding(lib):
		return notWritable("binds a ClusterContentLibrary into the namespace and holds no items of its own", "publish to a writable ContentLibrary of the namespace")
	case lib.Spec.Subscription != nil:
		return notWritable("is subscribed to "+lib.Spec.Subscription.URL, "publish to a local, writable ContentLibrary")
	case !lib.Spec.Writable:
		return notWritable("is not writable", "set its spec.writable to true or publish to another library")
	case !lib.DeletionTimestamp.IsZero():
		return notWritable("is being deleted", "publish to another library")
	}
	if c := meta.FindStatusCondition(lib.Status.Conditions, imgregv1.ReadyConditionType); c == nil || c.Status != "True" {
		msg := fmt.Sprintf("ContentLibrary %q (spec.target.location.name) is not ready yet", lib.Name)
		if c != nil && c.Message != "" {
			msg += ": " + c.Message
		}
		return &problem{reason: vmopv1.TargetContentLibraryNotReadyReason, message: msg}
	}
	return nil
}

// checkItemName accepts what the library service accepts as an item's
// name: 1 to 255 characters, no slashes and no control characters.
func checkItemName(name string) *problem {
	bad := len(name) > 255 || strings.ContainsAny(name, `/\`)
	for _, c := range name {
		bad = bad || unicode.IsControl(c)
	}
	if bad {
		return &problem{reason: vmopv1.InvalidReason,
			message: fmt.Sprintf("spec.target.item.name %q is not a valid item name: use at most 255 characters, without slashes or control characters", name)}
	}
	return nil
}

// publishedBy returns the request UID recorded in a stored item's OVF
// descriptor ("" when there is none or the item cannot be read).
func (r *Reconciler) publishedBy(ctx context.Context, itemUUID string) string {
	info, err := r.itemInfo(ctx, itemUUID)
	if err != nil {
		ctrl.LoggerFrom(ctx).V(1).Info("cannot read an existing item's descriptor", "item", itemUUID, "err", err)
		return ""
	}
	return info.Metadata()[PublishRequestUIDProperty]
}

// itemInfo reads the OVF descriptor of a stored item.
func (r *Reconciler) itemInfo(ctx context.Context, itemUUID string) (*ova.Info, error) {
	_, ovfPath, err := r.Library.Locate(ctx, itemUUID)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(ovfPath)
	if err != nil {
		return nil, err
	}
	env, err := ova.Parse(data)
	if err != nil {
		return nil, err
	}
	info := ova.Summarize(env)
	return &info, nil
}

// upload publishes the VM as the target item: it records the attempt,
// has the provider write the disk into the request's work directory,
// packages it as an OVA and imports it. It returns nil, nil on success and
// otherwise the result to return (the conditions say what went wrong)
// with the error to retry with, if any.
func (r *Reconciler) upload(ctx context.Context, s *scope, vm *vmopv1.VirtualMachine, t *target) (*ctrl.Result, error) {
	pr := s.pr
	setUploading(pr, fmt.Sprintf("publishing VirtualMachine %s as item %q of ContentLibrary %s (attempt %d)", vm.Name, t.itemName, t.lib.Name, pr.Status.Attempts+1), r.now())
	setCompleteCondition(pr, r.now())
	// Record the attempt before the long part, so that it shows.
	if err := r.flush(ctx, s); err != nil {
		return nil, err
	}

	err := r.publish(ctx, pr, vm, t)
	uploadFailed := func(msg string) {
		setCondition(pr, vmopv1.VirtualMachinePublishRequestConditionUploaded, &problem{reason: vmopv1.UploadFailureReason, message: msg})
	}
	switch {
	case err == nil:
		setCondition(pr, vmopv1.VirtualMachinePublishRequestConditionUploaded, nil)
		return nil, nil
	case errors.Is(err, provider.ErrInvalid) || ova.IsContentError(err):
		msg := fmt.Sprintf("publishing VirtualMachine %s failed and will not be retried: %v", vm.Name, err)
		uploadFailed(msg)
		setFailed(pr, vmopv1.HasNotBeenUploadedReason, msg, r.now())
		return r.finish(ctx, s)
	case errors.Is(err, library.ErrNotWritable):
		setCondition(pr, vmopv1.VirtualMachinePublishRequestConditionTargetValid,
			&problem{reason: vmopv1.TargetContentLibraryNotWritableReason, message: err.Error()})
		uploadFailed(err.Error())
		return &ctrl.Result{RequeueAfter: pollInterval}, nil
	case errors.Is(err, library.ErrItemDeleting):
		uploadFailed(err.Error())
		return &ctrl.Result{RequeueAfter: imagePollInterval}, nil
	case ctx.Err() != nil:
		uploadFailed(fmt.Sprintf("publishing VirtualMachine %s was interrupted; it is retried", vm.Name))
		return &ctrl.Result{}, err
	}
	uploadFailed(fmt.Sprintf("publishing VirtualMachine %s failed; it is retried: %v", vm.Name, err))
	return &ctrl.Result{}, err
}

// finish ends a pass over a request that has just finished.
func (r *Reconciler) finish(ctx context.Context, s *scope) (*ctrl.Result, error) {
	res, err := r.reconcileTTL(ctx, s)
	return &res, err
}

// publish makes the OVA in <WorkDir>/<request UID> and imports it; the
// directory is removed whatever happens.
func (r *Reconciler) publish(ctx context.Context, pr *vmopv1.VirtualMachinePublishRequest, vm *vmopv1.VirtualMachine, t *target) error {
	dir := filepath.Join(r.WorkDir, string(pr.UID))
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "payload"), 0o700); err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	payload, err := r.Publisher.Publish(ctx, string(vm.UID), filepath.Join(dir, "payload"))
	if err != nil {
		return fmt.Errorf("capturing the VM's disk: %w", err)
	}
	if rel, err := filepath.Rel(dir, payload); err != nil || strings.HasPrefix(rel, "..") {
		return fmt.Errorf("the provider returned %q, not a file in the work directory %s: %w", payload, dir, provider.ErrInvalid)
	}
	if fi, err := os.Stat(payload); err != nil || !fi.Mode().IsRegular() {
		return fmt.Errorf("the provider's payload %s is not a file: %w", payload, provider.ErrInvalid)
	}

	spec := r.ovaSpec(ctx, pr, vm, t, payload)
	path := filepath.Join(dir, "item.ova")
	if err := ova.WriteFile(path, spec); err != nil {
		return fmt.Errorf("packaging the VM's disk as an OVA: %w", err)
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	res, err := r.Library.Import(ctx, t.lib, t.itemName, f)
	if err != nil {
		return fmt.Errorf("importing the OVA into ContentLibrary %s: %w", t.lib.Name, err)
	}
	if st := library.ItemStatusOf(res.Item); st != nil && t.description != "" && st.Description != t.description {
		before := res.Item.DeepCopyObject().(client.Object)
		st.Description = t.description
		if err := r.Client.Status().Patch(ctx, res.Item, client.MergeFrom(before)); err != nil {
			return fmt.Errorf("setting the description of ContentLibraryItem %s/%s: %w", res.Item.GetNamespace(), res.Item.GetName(), err)
		}
	}
	return nil
}

// ovaSpec describes the published OVA: the VM's disk with the source
// image's guest OS, product and OVF properties (when they can be read),
// the VM class's CPUs and memory, and the request's UID.
func (r *Reconciler) ovaSpec(ctx context.Context, pr *vmopv1.VirtualMachinePublishRequest, vm *vmopv1.VirtualMachine, t *target, payload string) ova.Spec {
	spec := ova.Spec{
		Name:       vm.Name,
		Annotation: t.description,
		ModTime:    r.now(),
	}
	if spec.Annotation == "" {
		spec.Annotation = fmt.Sprintf("Published from VirtualMachine %s/%s by VirtualMachinePublishRequest %s", vm.Namespace, vm.Name, pr.Name)
	}
	log := ctrl.LoggerFrom(ctx)
	if info, err := r.sourceImageInfo(ctx, vm); err != nil {
		log.V(1).Info("publishing without the source image's metadata", "err", err)
	} else if info != nil {
		spec.OS, spec.Product, spec.Firmware = info.OS, info.Product, info.Firmware
		spec.HardwareVersion, spec.CPUs, spec.MemoryMiB = info.HardwareVersion, info.CPUs, info.MemoryMiB
		for _, p := range info.Properties {
			if p.Key != PublishRequestUIDProperty {
				spec.Properties = append(spec.Properties, p)
			}
		}
	}
	class := &vmopv1.VirtualMachineClass{}
	if vm.Spec.ClassName != "" {
		if err := r.Client.Get(ctx, client.ObjectKey{Namespace: vm.Namespace, Name: vm.Spec.ClassName}, class); err != nil {
			log.V(1).Info("publishing without the VM class's hardware", "class", vm.Spec.ClassName, "err", err)
		} else {
			if class.Spec.Hardware.Cpus > 0 {
				spec.CPUs = class.Spec.Hardware.Cpus
			}
			if mib := class.Spec.Hardware.Memory.Value() >> 20; mib > 0 {
				spec.MemoryMiB = mib
			}
		}
	}
	spec.Properties = append(spec.Properties, ova.Property{Key: PublishRequestUIDProperty, Value: string(pr.UID)})
	format := ova.FormatRootFS
	if strings.HasSuffix(payload, ".vmdk") {
		format = ova.FormatVMDKStreamOptimized
	}
	spec.Disks = []ova.DiskSource{{Path: payload, Format: format}}
	return spec
}

// sourceImageInfo reads the OVF descriptor of the image vm was deployed
// from; nil when the VM names no image.
func (r *Reconciler) sourceImageInfo(ctx context.Context, vm *vmopv1.VirtualMachine) (*ova.Info, error) {
	kind, name := "", vm.Spec.ImageName
	if vm.Spec.Image != nil {
		kind, name = vm.Spec.Image.Kind, vm.Spec.Image.Name
	}
	if name == "" {
		return nil, nil
	}
	itemID := ""
	if kind != library.KindClusterVirtualMachineImage {
		vmi := &vmopv1.VirtualMachineImage{}
		err := r.Client.Get(ctx, client.ObjectKey{Namespace: vm.Namespace, Name: name}, vmi)
		if err != nil && !apierrors.IsNotFound(err) {
			return nil, err
		}
		itemID = vmi.Status.ProviderItemID
	}
	if itemID == "" && kind != library.KindVirtualMachineImage {
		cvmi := &vmopv1.ClusterVirtualMachineImage{}
		if err := r.Client.Get(ctx, client.ObjectKey{Name: name}, cvmi); err != nil {
			return nil, err
		}
		itemID = cvmi.Status.ProviderItemID
	}
	if itemID == "" {
		return nil, fmt.Errorf("image %q of VirtualMachine %s has no library item", name, vm.Name)
	}
	return r.itemInfo(ctx, itemID)
}

// checkImage finds the VirtualMachineImage of the published item and
// records it in status.imageName once it exists; it is a problem until the
// image is Ready.
func (r *Reconciler) checkImage(ctx context.Context, pr *vmopv1.VirtualMachinePublishRequest, t *target) (*problem, error) {
	name := t.imageName()
	img := &vmopv1.VirtualMachineImage{}
	if err := r.Client.Get(ctx, client.ObjectKey{Namespace: pr.Namespace, Name: name}, img); err != nil {
		if apierrors.IsNotFound(err) {
			return &problem{reason: vmopv1.TargetVirtualMachineImageNotFoundReason,
				message: fmt.Sprintf("VirtualMachineImage %s of item %q does not exist yet", name, t.itemName)}, nil
		}
		return nil, fmt.Errorf("reading VirtualMachineImage %s/%s: %w", pr.Namespace, name, err)
	}
	pr.Status.ImageName = name
	if c := meta.FindStatusCondition(img.Status.Conditions, vmopv1.ReadyConditionType); c == nil || c.Status != "True" {
		msg := fmt.Sprintf("VirtualMachineImage %s of item %q is not ready yet", name, t.itemName)
		if c != nil && c.Message != "" {
			msg += ": " + c.Message
		}
		return &problem{reason: vmopv1.NotReadyReason, message: msg}, nil
	}
	return nil, nil
}
