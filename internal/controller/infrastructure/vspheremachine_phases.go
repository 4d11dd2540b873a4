package infrastructure

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	vmopv1 "github.com/kubevisor/kubevisor/api/vmoperator/v1alpha3"
	vmwarev1 "github.com/kubevisor/kubevisor/api/vmware/v1beta1"
)

// retryRefused is how often a VirtualMachine that admission refused (a
// class not bound to the namespace, a quota) is tried again.
const retryRefused = 30 * time.Second

// machineScope is what one reconcile pass of a VSphereMachine found.
type machineScope struct {
	vsm         *vmwarev1.VSphereMachine
	machine     *clusterv1.Machine // nil when no Machine owns it
	cluster     *clusterv1.Cluster // nil when the Cluster is gone
	clusterName string

	paused   bool
	deleting bool
	// finalized: the finalizer is gone, nothing more is written.
	finalized bool

	// waitingReason and waitingMessage say what the VM is not asked for
	// yet because of.
	waitingReason, waitingMessage string
	// invalid is a spec problem retrying cannot fix.
	invalid error
	// vm is the VirtualMachine as it is now; vmErr why it, or a volume,
	// could not be made so.
	vm    *vmopv1.VirtualMachine
	vmErr error
	// vmsLeft counts the VMs still to go during deletion.
	vmsLeft int
}

func (s *machineScope) controlPlaneInitialized() bool {
	return s.cluster != nil && ptr.Deref(s.cluster.Status.Initialization.ControlPlaneInitialized, false)
}

func (r *MachineReconciler) reconcileNormal(ctx context.Context, s *machineScope) (ctrl.Result, error) {
	if s.machine == nil {
		s.waitingReason, s.waitingMessage = vmwarev1.WaitingForOwnerMachineReason, "waiting for a Machine to own this VSphereMachine"
		return ctrl.Result{}, nil
	}
	if s.machine.Spec.Bootstrap.DataSecretName == nil {
		if !isControlPlane(s.machine) && !s.controlPlaneInitialized() {
			s.waitingReason, s.waitingMessage = vmwarev1.WaitingForControlPlaneInitializedReason, "waiting for the cluster's control plane to be initialized"
		} else {
			s.waitingReason, s.waitingMessage = vmwarev1.WaitingForBootstrapDataReason, fmt.Sprintf("waiting for Machine %s's bootstrap data", s.machine.Name)
		}
		return ctrl.Result{}, nil
	}
	in := machineInputs{vsm: s.vsm, machine: s.machine, clusterName: s.clusterName, controlPlaneInitialized: s.controlPlaneInitialized()}
	name, err := virtualMachineName(s.vsm, s.machine.Name)
	if err != nil {
		s.invalid = err
		return ctrl.Result{}, reconcile.TerminalError(err)
	}
	want, err := desiredVirtualMachine(in, name)
	if err != nil {
		s.invalid = err
		return ctrl.Result{}, reconcile.TerminalError(err)
	}
	for _, phase := range []func(context.Context, *machineScope, *vmopv1.VirtualMachine) error{
		r.reconcileVolumes,
		r.reconcileVirtualMachine,
		r.reconcileProviderID,
	} {
		if err := phase(ctx, s, want); err != nil {
			return requeueOnConflict(err)
		}
	}
	return ctrl.Result{}, nil
}

// reconcileVolumes creates the claims of the machine's extra volumes. A
// claim that exists is left as it is (claims hardly change once made).
func (r *MachineReconciler) reconcileVolumes(ctx context.Context, s *machineScope, _ *vmopv1.VirtualMachine) error {
	for _, want := range desiredClaims(s.vsm, s.clusterName) {
		have := &corev1.PersistentVolumeClaim{}
		err := r.Client.Get(ctx, client.ObjectKeyFromObject(want), have)
		switch {
		case err == nil:
			if ref := metav1.GetControllerOf(have); ref != nil && ref.UID != s.vsm.UID {
				s.vmErr = &blockedError{retryAfter: retryForeign,
					message: fmt.Sprintf("PersistentVolumeClaim %s belongs to %s %s, not to this VSphereMachine", have.Name, ref.Kind, ref.Name)}
				return s.vmErr
			}
			continue
		case !apierrors.IsNotFound(err):
			return fmt.Errorf("reading PersistentVolumeClaim %s: %w", want.Name, err)
		}
		if err := controllerutil.SetControllerReference(s.vsm, want, r.Scheme); err != nil {
			return err
		}
		if err := r.Client.Create(ctx, want); err != nil {
			if apierrors.IsAlreadyExists(err) {
				return err // the cache is behind: a quiet retry
			}
			s.vmErr = fmt.Errorf("creating PersistentVolumeClaim %s: %w", want.Name, err)
			if apierrors.IsForbidden(err) || apierrors.IsInvalid(err) {
				return &blockedError{retryAfter: retryRefused, message: s.vmErr.Error()}
			}
			return s.vmErr
		}
		ctrl.LoggerFrom(ctx).Info("Created PersistentVolumeClaim", "claim", want.Name)
	}
	return nil
}

// reconcileVirtualMachine creates the machine's VirtualMachine, or brings
// the one there is up to date.
func (r *MachineReconciler) reconcileVirtualMachine(ctx context.Context, s *machineScope, want *vmopv1.VirtualMachine) error {
	if err := controllerutil.SetControllerReference(s.vsm, want, r.Scheme); err != nil {
		return err
	}
	have := &vmopv1.VirtualMachine{}
	err := r.Client.Get(ctx, client.ObjectKeyFromObject(want), have)
	switch {
	case apierrors.IsNotFound(err):
		if err := r.Client.Create(ctx, want); err != nil {
			if apierrors.IsAlreadyExists(err) {
				return err // the cache is behind: a quiet retry
			}
			s.vmErr = fmt.Errorf("creating VirtualMachine %s: %w", want.Name, err)
			if apierrors.IsForbidden(err) || apierrors.IsInvalid(err) {
				// Admission refused it: tell the user, try again later.
				return &blockedError{retryAfter: retryRefused, message: s.vmErr.Error()}
			}
			return s.vmErr
		}
		ctrl.LoggerFrom(ctx).Info("Created VirtualMachine", "VirtualMachine", klog.KObj(want))
		s.vm = want
		return nil
	case err != nil:
		return fmt.Errorf("reading VirtualMachine %s: %w", want.Name, err)
	}
	if ref := metav1.GetControllerOf(have); ref != nil && ref.UID != s.vsm.UID {
		s.vmErr = &blockedError{retryAfter: retryForeign,
			message: fmt.Sprintf("VirtualMachine %s belongs to %s %s, not to this VSphereMachine", have.Name, ref.Kind, ref.Name)}
		return s.vmErr
	}
	s.vm = have
	if !have.DeletionTimestamp.IsZero() {
		// Its deletion event brings us back to make it again.
		return nil
	}
	before := have.DeepCopy()
	changed := applyVirtualMachine(have, want)
	if metav1.GetControllerOf(have) == nil {
		if err := controllerutil.SetControllerReference(s.vsm, have, r.Scheme); err != nil {
			return err
		}
		changed = true
	}
	if !changed {
		return nil
	}
	// Locked: the patch replaces lists (volumes) that others append to.
	if err := r.Client.Patch(ctx, have, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
		if apierrors.IsConflict(err) {
			return err
		}
		s.vmErr = fmt.Errorf("updating VirtualMachine %s: %w", have.Name, err)
		if apierrors.IsForbidden(err) || apierrors.IsInvalid(err) {
			return &blockedError{retryAfter: retryRefused, message: s.vmErr.Error()}
		}
		return s.vmErr
	}
	ctrl.LoggerFrom(ctx).Info("Updated VirtualMachine", "VirtualMachine", klog.KObj(have))
	return nil
}

// reconcileProviderID sets spec.providerID from the VM's BIOS UUID once
// the VM runs with an address.
func (r *MachineReconciler) reconcileProviderID(ctx context.Context, s *machineScope, _ *vmopv1.VirtualMachine) error {
	if s.vm == nil {
		return nil
	}
	o := observeVirtualMachine(s.vm)
	if o.status != metav1.ConditionTrue {
		return nil
	}
	if id := ProviderID(o.biosUUID); s.vsm.Spec.ProviderID != id {
		s.vsm.Spec.ProviderID = id
		ctrl.LoggerFrom(ctx).Info("Set the provider ID", "providerID", id)
	}
	return nil
}

// reconcileDelete deletes the machine's VirtualMachines (the one its name
// says, and any other it controls) and, once they are gone (their
// finalizer removes the provider VMs), its volume claims, then lets the
// VSphereMachine go.
func (r *MachineReconciler) reconcileDelete(ctx context.Context, s *machineScope) (ctrl.Result, error) {
	s.deleting = true
	vms, err := r.controlledVirtualMachines(ctx, s)
	if err != nil {
		return ctrl.Result{}, err
	}
	s.vmsLeft = len(vms)
	for i := range vms {
		vm := &vms[i]
		s.vm = vm
		if !vm.DeletionTimestamp.IsZero() {
			continue
		}
		uid := vm.UID
		if err := r.Client.Delete(ctx, vm, client.Preconditions{UID: &uid}); err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			return ctrl.Result{}, fmt.Errorf("deleting VirtualMachine %s: %w", vm.Name, err)
		}
		ctrl.LoggerFrom(ctx).Info("Deleting VirtualMachine", "VirtualMachine", klog.KObj(vm))
	}
	if s.vmsLeft > 0 {
		// Their deletion events bring us back.
		return ctrl.Result{}, nil
	}
	s.vm = nil
	for _, v := range s.vsm.Spec.Volumes {
		key := types.NamespacedName{Namespace: s.vsm.Namespace, Name: ClaimName(s.vsm.Name, v.Name)}
		if _, err := deleteControlled(ctx, r.Client, s.vsm, "PersistentVolumeClaim", &corev1.PersistentVolumeClaim{}, key); err != nil {
			return ctrl.Result{}, err
		}
	}
	if err := removeFinalizer(ctx, r.Client, s.vsm, vmwarev1.MachineFinalizer); err != nil {
		return requeueOnConflict(err)
	}
	s.finalized = true
	return ctrl.Result{}, nil
}

// controlledVirtualMachines are the VirtualMachines the VSphereMachine
// controls, whatever their names (a naming template may have changed since
// they were made).
func (r *MachineReconciler) controlledVirtualMachines(ctx context.Context, s *machineScope) ([]vmopv1.VirtualMachine, error) {
	var list vmopv1.VirtualMachineList
	if err := r.Client.List(ctx, &list, client.InNamespace(s.vsm.Namespace)); err != nil {
		return nil, fmt.Errorf("listing VirtualMachines: %w", err)
	}
	var out []vmopv1.VirtualMachine
	for i := range list.Items {
		if ref := metav1.GetControllerOf(&list.Items[i]); ref != nil && ref.UID == s.vsm.UID {
			out = append(out, list.Items[i])
		}
	}
	return out, nil
}
