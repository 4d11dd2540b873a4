package virtualmachineservice

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	kubevisorv1 "github.com/kubevisor/kubevisor/api/kubevisor/v1alpha1"
	vmopv1 "github.com/kubevisor/kubevisor/api/vmoperator/v1alpha3"
	"github.com/kubevisor/kubevisor/internal/lb"
)

// Finalizer holds a VirtualMachineService until its load-balancer address
// is off the data plane and the host, and released.
const Finalizer = "kubevisor.io/virtualmachineservice"

// retryDataPlane is how often a service whose data plane failed is looked
// at again; the data plane retries on its own meanwhile.
const retryDataPlane = 10 * time.Second

// LoadBalancer is the data plane: it serves one named service's
// load-balancer address (nil: stops serving it).
type LoadBalancer interface {
	Set(name string, svc *lb.Service) error
}

var _ reconcile.Reconciler = &Reconciler{}

// Reconciler reconciles VirtualMachineServices.
type Reconciler struct {
	// Client reads through the manager's cache and writes to the API.
	Client client.Client
	// Scheme resolves owner references' kinds.
	Scheme *runtime.Scheme
	// LoadBalancer serves the addresses of LoadBalancer services.
	LoadBalancer LoadBalancer
	// Addresses allocates load-balancer addresses; shared with the
	// PoolReconciler.
	Addresses *Addresses

	// released wakes the services waiting for an address when one is
	// released.
	released chan event.GenericEvent
}

// SetupWithManager registers the controller and its watches with mgr.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	vmChanged := builder.WithPredicates(predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool {
			old, okOld := e.ObjectOld.(*vmopv1.VirtualMachine)
			vm, okNew := e.ObjectNew.(*vmopv1.VirtualMachine)
			return !okOld || !okNew || vmEndpointsChanged(old, vm)
		},
	})
	r.released = make(chan event.GenericEvent, 1)
	return ctrl.NewControllerManagedBy(mgr).
		For(&vmopv1.VirtualMachineService{}).
		Owns(&corev1.Service{}).
		Watches(&Endpoints{}, handler.EnqueueRequestsFromMapFunc(r.serviceNamed)).
		Watches(&vmopv1.VirtualMachine{}, handler.EnqueueRequestsFromMapFunc(r.servicesSelecting), vmChanged).
		Watches(&kubevisorv1.LoadBalancerPool{}, handler.EnqueueRequestsFromMapFunc(r.waitingForAddress), builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		WatchesRawSource(source.Channel(r.released, handler.EnqueueRequestsFromMapFunc(r.waitingForAddress))).
		Named("virtualmachineservice").
		Complete(r)
}

// Reconcile keeps the Service, Endpoints and load balancer of one
// VirtualMachineService, or removes the load balancer when the service is
// being deleted.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (_ ctrl.Result, reterr error) {
	if err := r.Addresses.load(ctx); err != nil {
		return ctrl.Result{}, err
	}
	svc := &vmopv1.VirtualMachineService{}
	if err := r.Client.Get(ctx, req.NamespacedName, svc); err != nil {
		if apierrors.IsNotFound(err) {
			// Gone without our finalizer (it was removed by hand): forget
			// it all the same.
			return ctrl.Result{}, r.forget(ctx, req.NamespacedName)
		}
		return ctrl.Result{}, err
	}

	if svc.DeletionTimestamp.IsZero() && !controllerutil.ContainsFinalizer(svc, Finalizer) {
		before := svc.DeepCopy()
		controllerutil.AddFinalizer(svc, Finalizer)
		if err := r.Client.Patch(ctx, svc, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
			return requeueOnConflict(fmt.Errorf("adding finalizer: %w", err))
		}
	}

	s := &scope{svc: svc, key: req.NamespacedName}
	before := svc.DeepCopy()
	defer func() {
		if s.finalized {
			return
		}
		s.err = reterr
		setServiceReadyCondition(svc, s)
		setLoadBalancerReadyCondition(svc, s)
		if equality.Semantic.DeepEqual(before.Status, svc.Status) {
			return
		}
		if err := r.Client.Status().Patch(ctx, svc, client.MergeFrom(before)); err != nil && !apierrors.IsNotFound(err) {
			reterr = errors.Join(reterr, fmt.Errorf("patching status: %w", err))
		}
	}()

	if !svc.DeletionTimestamp.IsZero() {
		return r.reconcileDelete(ctx, s)
	}
	return r.reconcileNormal(ctx, s)
}

// requeueOnConflict turns a write conflict or an object that already
// exists (the cache was behind) into a quiet retry; other errors are
// returned.
func requeueOnConflict(err error) (ctrl.Result, error) {
	if err == nil {
		return ctrl.Result{}, nil
	}
	if apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err) {
		return ctrl.Result{RequeueAfter: time.Second}, nil
	}
	return ctrl.Result{}, err
}

// serviceNamed maps an Endpoints object to the VirtualMachineService of the
// same name, if there is one.
func (r *Reconciler) serviceNamed(ctx context.Context, o client.Object) []reconcile.Request {
	key := client.ObjectKeyFromObject(o)
	if err := r.Client.Get(ctx, key, &vmopv1.VirtualMachineService{}); err != nil {
		return nil
	}
	return []reconcile.Request{{NamespacedName: key}}
}

// servicesSelecting maps a VM to the services whose selector picks it.
// Updates map both the old and the new VM, so a VM that loses a label
// reaches the service it leaves.
func (r *Reconciler) servicesSelecting(ctx context.Context, o client.Object) []reconcile.Request {
	vm, ok := o.(*vmopv1.VirtualMachine)
	if !ok {
		return nil
	}
	var list vmopv1.VirtualMachineServiceList
	if err := r.Client.List(ctx, &list, client.InNamespace(vm.Namespace)); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Listing VirtualMachineServices to requeue")
		return nil
	}
	var out []reconcile.Request
	for i := range list.Items {
		if selects(&list.Items[i], vm) {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
		}
	}
	return out
}

// waitingForAddress maps a pool change, or a released address, to the
// LoadBalancer services without an address, or without the one they ask
// for: they may get it now.
func (r *Reconciler) waitingForAddress(ctx context.Context, _ client.Object) []reconcile.Request {
	var list vmopv1.VirtualMachineServiceList
	if err := r.Client.List(ctx, &list); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Listing VirtualMachineServices to requeue")
		return nil
	}
	var out []reconcile.Request
	for i := range list.Items {
		svc := &list.Items[i]
		ip, has := r.Addresses.alloc.Lookup(owner(client.ObjectKeyFromObject(svc)))
		waiting := !has || svc.Spec.LoadBalancerIP != "" && svc.Spec.LoadBalancerIP != ip.String()
		if svc.Spec.Type == vmopv1.VirtualMachineServiceTypeLoadBalancer && waiting {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
		}
	}
	return out
}

// forget takes a service that no longer exists off the data plane and
// releases its address.
func (r *Reconciler) forget(ctx context.Context, key types.NamespacedName) error {
	if err := r.LoadBalancer.Set(key.String(), nil); err != nil {
		return fmt.Errorf("removing load balancer of %s: %w", key, err)
	}
	r.release(ctx, key)
	return nil
}

// release gives key's address back, if it has one, and wakes the services
// waiting for one.
func (r *Reconciler) release(ctx context.Context, key types.NamespacedName) {
	ip, ok := r.Addresses.alloc.Release(owner(key))
	if !ok {
		return
	}
	ctrl.LoggerFrom(ctx).Info("Released load-balancer address", "address", ip)
	select {
	case r.released <- event.GenericEvent{Object: &vmopv1.VirtualMachineService{}}:
	default: // a wake-up is pending already
	}
}
