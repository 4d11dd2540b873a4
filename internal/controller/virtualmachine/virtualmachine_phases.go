package virtualmachine

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmopv1 "github.com/kubevisor/kubevisor/api/vmoperator/v1alpha3"
	"github.com/kubevisor/kubevisor/internal/guest/cloudinit"
	"github.com/kubevisor/kubevisor/internal/provider"
)

// ZoneLabel places a VM in an availability zone, as vm-operator reads it.
const ZoneLabel = "topology.kubernetes.io/zone"

// blocked is a resolution failure the user must fix; it is reported on a
// condition, not returned as an error.
type blocked struct {
	reason, message string
}

func (b *blocked) Error() string { return b.message }

// resolve turns vm into the provider's desired state. It reports true when
// something the VM needs is missing or invalid (and says so on a
// condition), in which case the provider is not called.
func (r *Reconciler) resolve(ctx context.Context, vm *vmopv1.VirtualMachine) (provider.VM, bool, error) {
	desired := provider.VM{
		ID:             string(vm.UID),
		Namespace:      vm.Namespace,
		Name:           vm.Name,
		Hostname:       hostname(vm),
		PowerState:     powerState(vm.Spec.PowerState),
		Zone:           vm.Labels[ZoneLabel],
		ResourcePolicy: resourcePolicy(vm),
	}
	steps := []struct {
		condition string
		run       func(context.Context, *vmopv1.VirtualMachine, *provider.VM) error
	}{
		{vmopv1.VirtualMachineConditionClassReady, r.resolveClass},
		{vmopv1.VirtualMachineConditionImageReady, r.resolveImage},
		{vmopv1.VirtualMachineConditionBootstrapReady, r.resolveBootstrap},
		{vmopv1.VirtualMachineConditionStorageReady, r.resolveVolumes},
	}
	anyBlocked := false
	for _, s := range steps {
		err := s.run(ctx, vm, &desired)
		var b *blocked
		switch {
		case errors.As(err, &b):
			anyBlocked = true
			setCondition(vm, s.condition, metav1.ConditionFalse, b.reason, b.message)
		case err != nil:
			return desired, false, err
		default:
			setCondition(vm, s.condition, metav1.ConditionTrue, vmopv1.TrueReason, "")
		}
	}
	return desired, anyBlocked, nil
}

func hostname(vm *vmopv1.VirtualMachine) string {
	if vm.Spec.Network != nil && vm.Spec.Network.HostName != "" {
		return vm.Spec.Network.HostName
	}
	return vm.Name
}

func powerState(p vmopv1.VirtualMachinePowerState) provider.PowerState {
	switch p {
	case vmopv1.VirtualMachinePowerStateOff:
		return provider.PoweredOff
	case vmopv1.VirtualMachinePowerStateSuspended:
		return provider.Suspended
	}
	return provider.PoweredOn
}

func resourcePolicy(vm *vmopv1.VirtualMachine) string {
	if vm.Spec.Reserved != nil {
		return vm.Spec.Reserved.ResourcePolicyName
	}
	return ""
}

func (r *Reconciler) resolveClass(ctx context.Context, vm *vmopv1.VirtualMachine, desired *provider.VM) error {
	if vm.Spec.ClassName == "" {
		return &blocked{reason: vmopv1.NotFoundReason, message: "spec.className is empty: name a VirtualMachineClass bound to the namespace (kubectl get vmclass -n " + vm.Namespace + ")"}
	}
	class := &vmopv1.VirtualMachineClass{}
	if err := r.Client.Get(ctx, client.ObjectKey{Namespace: vm.Namespace, Name: vm.Spec.ClassName}, class); err != nil {
		if apierrors.IsNotFound(err) {
			return &blocked{reason: vmopv1.NotFoundReason, message: fmt.Sprintf("VirtualMachineClass %q is not bound to namespace %s (kubectl get vmclass -n %s)", vm.Spec.ClassName, vm.Namespace, vm.Namespace)}
		}
		return err
	}
	desired.Class = provider.Class{Name: class.Name, CPUs: class.Spec.Hardware.Cpus, MemoryBytes: class.Spec.Hardware.Memory.Value()}
	req := class.Spec.Policies.Resources.Requests
	desired.Class.CPURequestMilli = req.Cpu.MilliValue()
	desired.Class.MemoryRequestBytes = req.Memory.Value()
	if desired.Class.CPUs < 1 || desired.Class.MemoryBytes <= 0 {
		return &blocked{reason: vmopv1.InvalidReason, message: fmt.Sprintf("VirtualMachineClass %q has no CPUs or memory", class.Name)}
	}
	vm.Status.Class = &vmopv1.LocalObjectRef{APIVersion: vmopv1.GroupVersion.String(), Kind: "VirtualMachineClass", Name: class.Name}
	return nil
}

func (r *Reconciler) resolveImage(ctx context.Context, vm *vmopv1.VirtualMachine, desired *provider.VM) error {
	kind, name := "", vm.Spec.ImageName
	if vm.Spec.Image != nil {
		kind, name = vm.Spec.Image.Kind, vm.Spec.Image.Name
	}
	if name == "" {
		return &blocked{reason: vmopv1.ImageNotSetReason, message: "neither spec.image nor spec.imageName is set: name an image (kubectl get vmi -n " + vm.Namespace + ")"}
	}
	var (
		status   *vmopv1.VirtualMachineImageStatus
		err      error
		notFound = &blocked{reason: vmopv1.NotFoundReason, message: fmt.Sprintf("image %q is neither a VirtualMachineImage in namespace %s nor a ClusterVirtualMachineImage (kubectl get vmi -n %s; kubectl get cvmi)", name, vm.Namespace, vm.Namespace)}
	)
	switch kind {
	case "", "VirtualMachineImage", "ClusterVirtualMachineImage":
		status, err = r.findImage(ctx, vm.Namespace, kind, name)
	default:
		return &blocked{reason: vmopv1.ImageUnknownKindReason, message: fmt.Sprintf("spec.image.kind %q is not VirtualMachineImage or ClusterVirtualMachineImage", kind)}
	}
	if err != nil {
		return err
	}
	if status == nil {
		return notFound
	}
	if c := meta.FindStatusCondition(status.Conditions, vmopv1.ReadyConditionType); c == nil || c.Status != metav1.ConditionTrue {
		msg := fmt.Sprintf("image %q is not ready", name)
		if c != nil && c.Message != "" {
			msg += ": " + c.Message
		}
		return &blocked{reason: vmopv1.NotReadyReason, message: msg}
	}
	desired.Image = provider.Image{Name: name, LibraryItem: status.ProviderItemID}
	if r.Images != nil {
		disk, ovf, err := r.Images.Locate(ctx, status.ProviderItemID)
		if err != nil {
			return &blocked{reason: vmopv1.NotReadyReason, message: fmt.Sprintf("image %q: %v", name, err)}
		}
		desired.Image.DiskPath, desired.Image.OVFPath = disk, ovf
	}
	return nil
}

// findImage finds an image by object name or by its display name
// (status.name), in the namespace first and then cluster-wide, as
// vm-operator resolves spec.imageName.
func (r *Reconciler) findImage(ctx context.Context, namespace, kind, name string) (*vmopv1.VirtualMachineImageStatus, error) {
	if kind != "ClusterVirtualMachineImage" {
		vmi := &vmopv1.VirtualMachineImage{}
		err := r.Client.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, vmi)
		if err == nil {
			return &vmi.Status, nil
		}
		if !apierrors.IsNotFound(err) {
			return nil, err
		}
		if kind == "" {
			list := &vmopv1.VirtualMachineImageList{}
			if err := r.Client.List(ctx, list, client.InNamespace(namespace)); err != nil {
				return nil, err
			}
			for i := range list.Items {
				if list.Items[i].Status.Name == name {
					return &list.Items[i].Status, nil
				}
			}
		}
	}
	if kind == "VirtualMachineImage" {
		return nil, nil
	}
	cvmi := &vmopv1.ClusterVirtualMachineImage{}
	err := r.Client.Get(ctx, client.ObjectKey{Name: name}, cvmi)
	if err == nil {
		return &cvmi.Status, nil
	}
	if !apierrors.IsNotFound(err) {
		return nil, err
	}
	if kind == "" {
		list := &vmopv1.ClusterVirtualMachineImageList{}
		if err := r.Client.List(ctx, list); err != nil {
			return nil, err
		}
		for i := range list.Items {
			if list.Items[i].Status.Name == name {
				return &list.Items[i].Status, nil
			}
		}
	}
	return nil, nil
}

func (r *Reconciler) resolveBootstrap(ctx context.Context, vm *vmopv1.VirtualMachine, desired *provider.VM) error {
	bs := vm.Spec.Bootstrap
	if bs == nil || bs.Disabled || bs.CloudInit == nil {
		return nil
	}
	ci := bs.CloudInit
	secretValue := func(ref vmopv1.SecretKeySelector) (string, error) {
		s := &corev1.Secret{}
		if err := r.Client.Get(ctx, client.ObjectKey{Namespace: vm.Namespace, Name: ref.Name}, s); err != nil {
			if apierrors.IsNotFound(err) {
				return "", &blocked{reason: vmopv1.NotFoundReason, message: fmt.Sprintf("Secret %q does not exist in namespace %s", ref.Name, vm.Namespace)}
			}
			return "", err
		}
		v, ok := s.Data[ref.Key]
		if !ok {
			return "", &blocked{reason: vmopv1.RequiredKeyNotFoundReason, message: fmt.Sprintf("Secret %q has no key %q", ref.Name, ref.Key)}
		}
		return string(v), nil
	}
	var userData []byte
	switch {
	case ci.RawCloudConfig != nil:
		key := ci.RawCloudConfig.Key
		if key == "" {
			key = "user-data"
		}
		v, err := secretValue(vmopv1.SecretKeySelector{Name: ci.RawCloudConfig.Name, Key: key})
		if err != nil {
			return err
		}
		userData = []byte(v)
	default:
		data, err := RenderCloudConfig(ci.CloudConfig, ci.SSHAuthorizedKeys, secretValue)
		if err != nil {
			var b *blocked
			if errors.As(err, &b) {
				return b
			}
			return &blocked{reason: vmopv1.InvalidReason, message: err.Error()}
		}
		userData = data
	}
	// The guest agent's own parser decides what is valid.
	if err := cloudinit.Validate(userData); err != nil {
		return &blocked{reason: vmopv1.InvalidReason, message: "spec.bootstrap.cloudInit: " + err.Error()}
	}
	instanceID := ci.InstanceID
	if instanceID == "" {
		instanceID = string(vm.UID)
	}
	desired.CloudInit = &provider.CloudInit{InstanceID: instanceID, UserData: userData, MetaData: MetaData(instanceID, desired.Hostname)}
	return nil
}

func (r *Reconciler) resolveVolumes(ctx context.Context, vm *vmopv1.VirtualMachine, desired *provider.VM) error {
	for i, v := range vm.Spec.Volumes {
		if v.PersistentVolumeClaim == nil {
			continue
		}
		claim := v.PersistentVolumeClaim.ClaimName
		pvc := &corev1.PersistentVolumeClaim{}
		if err := r.Client.Get(ctx, client.ObjectKey{Namespace: vm.Namespace, Name: claim}, pvc); err != nil {
			if apierrors.IsNotFound(err) {
				return &blocked{reason: vmopv1.NotFoundReason, message: fmt.Sprintf("spec.volumes[%d]: PersistentVolumeClaim %q does not exist", i, claim)}
			}
			return err
		}
		if pvc.Status.Phase != corev1.ClaimBound || pvc.Spec.VolumeName == "" {
			return &blocked{reason: vmopv1.NotReadyReason, message: fmt.Sprintf("spec.volumes[%d]: PersistentVolumeClaim %q is not bound yet", i, claim)}
		}
		pv := &corev1.PersistentVolume{}
		if err := r.Client.Get(ctx, client.ObjectKey{Name: pvc.Spec.VolumeName}, pv); err != nil {
			return err
		}
		path := ""
		switch {
		case pv.Spec.HostPath != nil:
			path = pv.Spec.HostPath.Path
		case pv.Spec.Local != nil:
			path = pv.Spec.Local.Path
		case pv.Spec.CSI != nil:
			path = pv.Spec.CSI.VolumeHandle
		}
		desired.Volumes = append(desired.Volumes, provider.Volume{Name: v.Name, ClaimName: claim, Path: path, ReadOnly: v.PersistentVolumeClaim.ReadOnly})
	}
	return nil
}
