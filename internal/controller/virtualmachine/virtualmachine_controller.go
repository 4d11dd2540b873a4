package virtualmachine

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	vmopv1 "github.com/kubevisor/kubevisor/api/vmoperator/v1alpha3"
	"github.com/kubevisor/kubevisor/internal/provider"
)

// Finalizer holds a VirtualMachine until its provider VM is gone. It is
// vm-operator's own finalizer name.
const Finalizer = "vmoperator.vmware.com/virtualmachine"

// PausedAnnotation stops the controller from acting on a VirtualMachine
// (vm-operator's annotation): nothing is changed in the provider and the
// status is left alone until it is removed. Deletion still proceeds.
const PausedAnnotation = "vmoperator.vmware.com/paused"

// Resync is how often a settled VM is looked at again, to notice what
// changed inside the provider (a VM that crashed, say). Looking changes
// nothing unless something changed.
const Resync = 30 * time.Second

var _ reconcile.Reconciler = &Reconciler{}

// ImageLocator finds the local files of a content library item,
// downloading them first for libraries that sync on demand.
type ImageLocator interface {
	Locate(ctx context.Context, itemID string) (diskPath, ovfPath string, err error)
}

// Reconciler reconciles VirtualMachines with a provider.
type Reconciler struct {
	Client   client.Client
	Provider provider.VMs
	// Images locates image files; nil for providers that read images by
	// library item ID alone.
	Images ImageLocator
	// MaxConcurrentReconciles bounds parallel VM operations (default 4).
	MaxConcurrentReconciles int
}

// SetupWithManager registers the controller and its watches.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &vmopv1.VirtualMachine{}, classIndex, func(o client.Object) []string {
		return []string{o.(*vmopv1.VirtualMachine).Spec.ClassName}
	}); err != nil {
		return err
	}
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &vmopv1.VirtualMachine{}, claimIndex, func(o client.Object) []string {
		var claims []string
		for _, v := range o.(*vmopv1.VirtualMachine).Spec.Volumes {
			if v.PersistentVolumeClaim != nil {
				claims = append(claims, v.PersistentVolumeClaim.ClaimName)
			}
		}
		return claims
	}); err != nil {
		return err
	}
	workers := r.MaxConcurrentReconciles
	if workers == 0 {
		workers = 4
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&vmopv1.VirtualMachine{}).
		Watches(&vmopv1.VirtualMachineClass{}, handler.EnqueueRequestsFromMapFunc(r.byIndex(classIndex))).
		Watches(&corev1.PersistentVolumeClaim{}, handler.EnqueueRequestsFromMapFunc(r.byIndex(claimIndex))).
		Watches(&vmopv1.VirtualMachineImage{}, handler.EnqueueRequestsFromMapFunc(r.allInNamespace)).
		Watches(&vmopv1.ClusterVirtualMachineImage{}, handler.EnqueueRequestsFromMapFunc(r.allInNamespace)).
		WithOptions(controller.Options{MaxConcurrentReconciles: workers}).
		Complete(r)
}

const (
	classIndex = "spec.className"
	claimIndex = "spec.volumes.claimName"
)

// byIndex maps an object to the VMs of its namespace whose index field
// holds its name.
func (r *Reconciler) byIndex(index string) handler.MapFunc {
	return func(ctx context.Context, o client.Object) []reconcile.Request {
		list := &vmopv1.VirtualMachineList{}
		if err := r.Client.List(ctx, list, client.InNamespace(o.GetNamespace()), client.MatchingFields{index: o.GetName()}); err != nil {
			return nil
		}
		return requests(list)
	}
}

// allInNamespace maps an image to the VMs that may use it: those of its
// namespace, or every VM for a cluster-wide image. Only VMs still waiting
// for an image are affected by a reconcile.
func (r *Reconciler) allInNamespace(ctx context.Context, o client.Object) []reconcile.Request {
	list := &vmopv1.VirtualMachineList{}
	opts := []client.ListOption{}
	if o.GetNamespace() != "" {
		opts = append(opts, client.InNamespace(o.GetNamespace()))
	}
	if err := r.Client.List(ctx, list, opts...); err != nil {
		return nil
	}
	var out []reconcile.Request
	for _, vm := range list.Items {
		if vm.Status.UniqueID == "" {
			out = append(out, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: vm.Namespace, Name: vm.Name}})
		}
	}
	return out
}

func requests(list *vmopv1.VirtualMachineList) []reconcile.Request {
	out := make([]reconcile.Request, 0, len(list.Items))
	for _, vm := range list.Items {
		out = append(out, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: vm.Namespace, Name: vm.Name}})
	}
	return out
}

// Reconcile brings one VirtualMachine's provider VM in line with it.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (_ ctrl.Result, reterr error) {
	vm := &vmopv1.VirtualMachine{}
	if err := r.Client.Get(ctx, req.NamespacedName, vm); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !vm.DeletionTimestamp.IsZero() {
		return r.reconcileDelete(ctx, vm)
	}
	if _, paused := vm.Annotations[PausedAnnotation]; paused {
		return ctrl.Result{}, nil
	}
	if controllerutil.AddFinalizer(vm, Finalizer) {
		if err := r.Client.Update(ctx, vm); err != nil {
			return ctrl.Result{}, err
		}
	}

	base := vm.DeepCopy()
	defer func() {
		if equality.Semantic.DeepEqual(base.Status, vm.Status) {
			return
		}
		if err := r.Client.Status().Patch(ctx, vm, client.MergeFrom(base)); err != nil && !apierrors.IsNotFound(err) {
			reterr = errors.Join(reterr, fmt.Errorf("patching status: %w", err))
		}
	}()
	return r.reconcileNormal(ctx, vm)
}

func (r *Reconciler) reconcileDelete(ctx context.Context, vm *vmopv1.VirtualMachine) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(vm, Finalizer) {
		return ctrl.Result{}, nil
	}
	if err := r.Provider.Delete(ctx, string(vm.UID)); err != nil {
		if errors.Is(err, provider.ErrInProgress) {
			return ctrl.Result{RequeueAfter: 2 * time.Second}, nil
		}
		return ctrl.Result{}, fmt.Errorf("deleting VM %s/%s: %w", vm.Namespace, vm.Name, err)
	}
	// Remove the finalizer only now that the provider's VM is really gone.
	controllerutil.RemoveFinalizer(vm, Finalizer)
	return ctrl.Result{}, client.IgnoreNotFound(r.Client.Update(ctx, vm))
}

func (r *Reconciler) reconcileNormal(ctx context.Context, vm *vmopv1.VirtualMachine) (ctrl.Result, error) {
	desired, blocked, err := r.resolve(ctx, vm)
	if err != nil {
		return ctrl.Result{}, err
	}
	if blocked {
		// A condition says what is missing; the watches bring the VM back
		// when it appears. Poll slowly as well, for what is not watched.
		return ctrl.Result{RequeueAfter: Resync}, nil
	}

	st, err := r.Provider.Reconcile(ctx, desired)
	switch {
	case errors.Is(err, provider.ErrInProgress):
		setCreatingCondition(vm, err)
		return ctrl.Result{RequeueAfter: 2 * time.Second}, nil
	case errors.Is(err, provider.ErrInvalid):
		setProviderInvalidCondition(vm, err)
		return ctrl.Result{}, nil
	case err != nil:
		return ctrl.Result{}, fmt.Errorf("provider %s: %w", r.Provider.Name(), err)
	}
	applyProviderStatus(vm, st)

	ready := probeReadiness(ctx, vm, st)
	setReadyCondition(vm, ready)

	switch {
	case vm.Spec.PowerState == vmopv1.VirtualMachinePowerStateOn && (st.PrimaryIP4 == "" || !st.BootstrapDone):
		return ctrl.Result{RequeueAfter: 2 * time.Second}, nil
	case vm.Spec.ReadinessProbe != nil:
		return ctrl.Result{RequeueAfter: probePeriod(vm.Spec.ReadinessProbe)}, nil
	}
	return ctrl.Result{RequeueAfter: Resync}, nil
}
