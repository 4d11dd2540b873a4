package virtualmachineservice

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	kubevisorv1 "github.com/kubevisor/kubevisor/api/kubevisor/v1alpha1"
	vmopv1 "github.com/kubevisor/kubevisor/api/vmoperator/v1alpha3"
	"github.com/kubevisor/kubevisor/internal/lbipam"
)

var _ reconcile.Reconciler = &PoolReconciler{}

// PoolReconciler reports on each LoadBalancerPool how many of its
// addresses are allocated and available, and whether it is usable.
type PoolReconciler struct {
	// Client reads through the manager's cache and writes to the API.
	Client client.Client
	// Addresses is the allocator the VirtualMachineService Reconciler
	// uses.
	Addresses *Addresses
}

// SetupWithManager registers the controller with mgr.
func (r *PoolReconciler) SetupWithManager(mgr ctrl.Manager) error {
	// An allocation changes the annotation of its service; a release
	// removes it or deletes the service.
	allocationChanged := builder.WithPredicates(predicate.Funcs{
		CreateFunc: func(e event.CreateEvent) bool { return hasRecord(e.Object) },
		UpdateFunc: func(e event.UpdateEvent) bool {
			return e.ObjectOld.GetAnnotations()[LoadBalancerIPAnnotation] != e.ObjectNew.GetAnnotations()[LoadBalancerIPAnnotation]
		},
		DeleteFunc:  func(e event.DeleteEvent) bool { return hasRecord(e.Object) },
		GenericFunc: func(event.GenericEvent) bool { return false },
	})
	return ctrl.NewControllerManagedBy(mgr).
		For(&kubevisorv1.LoadBalancerPool{}).
		Watches(&vmopv1.VirtualMachineService{}, handler.EnqueueRequestsFromMapFunc(r.allPools), allocationChanged).
		Named("loadbalancerpool").
		Complete(r)
}

func hasRecord(o client.Object) bool {
	_, ok := o.GetAnnotations()[LoadBalancerIPAnnotation]
	return ok
}

// allPools maps an allocation change to every pool: pools are few, and an
// address may be counted by a pool other than the one it came from after
// pools change.
func (r *PoolReconciler) allPools(ctx context.Context, _ client.Object) []reconcile.Request {
	var list kubevisorv1.LoadBalancerPoolList
	if err := r.Client.List(ctx, &list); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Listing LoadBalancerPools to requeue")
		return nil
	}
	out := make([]reconcile.Request, 0, len(list.Items))
	for i := range list.Items {
		out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
	}
	return out
}

// Reconcile updates one pool's status.
func (r *PoolReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	if err := r.Addresses.load(ctx); err != nil {
		return ctrl.Result{}, err
	}
	pool := &kubevisorv1.LoadBalancerPool{}
	if err := r.Client.Get(ctx, req.NamespacedName, pool); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	problems, err := r.Addresses.refreshPools(ctx)
	if err != nil {
		return ctrl.Result{}, err
	}
	before := pool.DeepCopy()
	allocated, available, _ := r.Addresses.alloc.Usage(pool.Name)
	pool.Status.Allocated, pool.Status.Available = allocated, available
	setPoolReadyCondition(pool, problems[pool.Name])
	if equality.Semantic.DeepEqual(before.Status, pool.Status) {
		return ctrl.Result{}, nil
	}
	if err := r.Client.Status().Patch(ctx, pool, client.MergeFrom(before)); err != nil && !apierrors.IsNotFound(err) {
		return ctrl.Result{}, fmt.Errorf("patching status: %w", err)
	}
	return ctrl.Result{}, nil
}

// setPoolReadyCondition sets a pool's Ready condition from why it is not
// used (problem) and its counts.
func setPoolReadyCondition(pool *kubevisorv1.LoadBalancerPool, problem error) {
	c := metav1.Condition{
		Type:               kubevisorv1.ReadyCondition,
		Status:             metav1.ConditionFalse,
		ObservedGeneration: pool.Generation,
	}
	switch {
	case errors.Is(problem, lbipam.ErrInvalidRange):
		c.Reason, c.Message = kubevisorv1.InvalidRangeReason, problem.Error()
	case errors.Is(problem, lbipam.ErrOverlap):
		c.Reason = kubevisorv1.AddressesOverlapReason
		c.Message = problem.Error() + "; no new addresses are handed out from this pool"
	case problem != nil:
		c.Reason, c.Message = kubevisorv1.ReconcileFailedReason, problem.Error()
	case pool.Status.Available == 0:
		c.Reason = kubevisorv1.PoolExhaustedReason
		c.Message = fmt.Sprintf("all %d addresses are allocated", pool.Status.Allocated)
	default:
		c.Status, c.Reason = metav1.ConditionTrue, kubevisorv1.PoolAvailableReason
		c.Message = "addresses are available"
	}
	meta.SetStatusCondition(&pool.Status.Conditions, c)
}

var _ manager.Runnable = &DefaultPool{}

// DefaultPool creates a LoadBalancerPool when the Supervisor starts with
// none, so LoadBalancer services get addresses out of the box.
type DefaultPool struct {
	// Client writes to the API.
	Client client.Client
	// Reader lists pools from the API directly.
	Reader client.Reader
	// Name and Addresses are the pool's.
	Name      string
	Addresses []string
}

// Start creates the pool unless some pool exists, retrying until the API
// answers (the CRD is installed while the manager starts) or ctx ends.
func (d *DefaultPool) Start(ctx context.Context) error {
	log := ctrl.LoggerFrom(ctx).WithName("loadbalancerpool-default")
	var lastErr error
	attempts := 0
	err := wait.PollUntilContextCancel(ctx, time.Second, true, func(ctx context.Context) (bool, error) {
		attempts++
		var list kubevisorv1.LoadBalancerPoolList
		if lastErr = d.Reader.List(ctx, &list, client.Limit(1)); lastErr == nil {
			if len(list.Items) > 0 {
				return true, nil
			}
			pool := &kubevisorv1.LoadBalancerPool{
				ObjectMeta: metav1.ObjectMeta{Name: d.Name},
				Spec: kubevisorv1.LoadBalancerPoolSpec{
					Description: "Created by kubevisor because no pool existed.",
					Addresses:   d.Addresses,
				},
			}
			lastErr = d.Client.Create(ctx, pool)
			switch {
			case lastErr == nil:
				log.Info("Created the default load-balancer pool", "pool", d.Name, "addresses", d.Addresses)
				return true, nil
			case apierrors.IsAlreadyExists(lastErr):
				return true, nil
			}
		}
		if attempts%30 == 0 {
			log.Error(lastErr, "The default load-balancer pool cannot be created yet; retrying")
		}
		return false, nil
	})
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("creating the default load-balancer pool: %w (last error: %w)", err, lastErr)
	}
	return nil
}

// NeedLeaderElection is true: one Supervisor creates the pool.
func (d *DefaultPool) NeedLeaderElection() bool { return true }
