package virtualmachineservice

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	vmopv1 "github.com/kubevisor/kubevisor/api/vmoperator/v1alpha3"
	"github.com/kubevisor/kubevisor/internal/lb"
)

// scope is what one reconcile pass of a VirtualMachineService found.
type scope struct {
	svc *vmopv1.VirtualMachineService
	key types.NamespacedName

	// service is the core Service as it is now; serviceErr why it could
	// not be made so.
	service    *corev1.Service
	serviceErr error
	// subsets are the endpoints the load balancer forwards to.
	subsets []EndpointSubset
	// address is the load-balancer address; addressErr why there is none
	// (or not the one asked for).
	address    netip.Addr
	addressErr error
	// dataPlaneErr is why the data plane does not fully serve the address.
	dataPlaneErr error
	// err is the error the pass ends with.
	err error
	// finalized: the finalizer is gone, nothing more is written.
	finalized bool
}

func (s *scope) isLoadBalancer() bool {
	return s.svc.Spec.Type == vmopv1.VirtualMachineServiceTypeLoadBalancer
}

func (r *Reconciler) reconcileNormal(ctx context.Context, s *scope) (ctrl.Result, error) {
	phases := []func(context.Context, *scope) (ctrl.Result, error){
		r.reconcileService,
		r.reconcileEndpoints,
		r.reconcileAddress,
		r.reconcileDataPlane,
	}
	var result ctrl.Result
	for _, phase := range phases {
		res, err := phase(ctx, s)
		if err != nil {
			return res, err
		}
		if res.RequeueAfter > 0 && (result.RequeueAfter == 0 || res.RequeueAfter < result.RequeueAfter) {
			result = res
		}
	}
	return result, nil
}

// reconcileDelete takes the address off the data plane and the host,
// releases it, and lets the service go. The garbage collector deletes the
// Service and Endpoints.
func (r *Reconciler) reconcileDelete(ctx context.Context, s *scope) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(s.svc, Finalizer) {
		s.finalized = true
		return ctrl.Result{}, nil
	}
	if err := r.forget(ctx, s.key); err != nil {
		return ctrl.Result{}, err
	}
	before := s.svc.DeepCopy()
	controllerutil.RemoveFinalizer(s.svc, Finalizer)
	if err := r.Client.Patch(ctx, s.svc, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil && !apierrors.IsNotFound(err) {
		return requeueOnConflict(fmt.Errorf("removing finalizer: %w", err))
	}
	s.finalized = true
	return ctrl.Result{}, nil
}

// reconcileService creates or updates the core Service.
func (r *Reconciler) reconcileService(ctx context.Context, s *scope) (ctrl.Result, error) {
	want := DesiredService(s.svc)
	if err := controllerutil.SetControllerReference(s.svc, want, r.Scheme); err != nil {
		return ctrl.Result{}, err
	}
	have := &corev1.Service{}
	err := r.Client.Get(ctx, client.ObjectKeyFromObject(want), have)
	switch {
	case apierrors.IsNotFound(err):
		if err := r.Client.Create(ctx, want); err != nil {
			if apierrors.IsAlreadyExists(err) {
				return requeueOnConflict(err) // the cache is behind
			}
			s.serviceErr = fmt.Errorf("creating Service %s: %w", want.Name, err)
			return ctrl.Result{}, s.serviceErr
		}
		ctrl.LoggerFrom(ctx).Info("Created Service", "service", want.Name, "type", want.Spec.Type)
		s.service = want
		return ctrl.Result{}, nil
	case err != nil:
		return ctrl.Result{}, fmt.Errorf("reading Service %s: %w", want.Name, err)
	}
	if err := adoptable(s.svc, "Service", have); err != nil {
		s.serviceErr = err
		return ctrl.Result{}, err
	}
	if mustReplaceService(have, want) {
		if err := r.Client.Delete(ctx, have, client.Preconditions{UID: &have.UID}); err != nil && !apierrors.IsNotFound(err) {
			s.serviceErr = fmt.Errorf("deleting Service %s to replace it: %w", have.Name, err)
			return ctrl.Result{}, s.serviceErr
		}
		ctrl.LoggerFrom(ctx).Info("Deleted Service to replace it", "service", have.Name)
		// Its deletion event brings us back to create the new one.
		return ctrl.Result{}, nil
	}
	changed := metav1.GetControllerOf(have) == nil
	if changed {
		if err := controllerutil.SetControllerReference(s.svc, have, r.Scheme); err != nil {
			return ctrl.Result{}, err
		}
	}
	if updateService(have, want) || changed {
		if err := r.Client.Update(ctx, have); err != nil {
			if apierrors.IsConflict(err) {
				return requeueOnConflict(err)
			}
			s.serviceErr = fmt.Errorf("updating Service %s: %w", have.Name, err)
			return ctrl.Result{}, s.serviceErr
		}
		ctrl.LoggerFrom(ctx).Info("Updated Service", "service", have.Name)
	}
	s.service = have
	return ctrl.Result{}, nil
}

// adoptable fails when obj (a kind) is controlled by something other
// than svc. One that nobody controls is taken over.
func adoptable(svc *vmopv1.VirtualMachineService, kind string, obj metav1.Object) error {
	if ref := metav1.GetControllerOf(obj); ref != nil && ref.UID != svc.UID {
		return fmt.Errorf("%s %s belongs to %s %s, not to this VirtualMachineService", kind, obj.GetName(), ref.Kind, ref.Name)
	}
	return nil
}

// reconcileEndpoints keeps the Endpoints of a service with a selector,
// and reads those of a selector-less one (the load balancer forwards to
// them either way).
func (r *Reconciler) reconcileEndpoints(ctx context.Context, s *scope) (ctrl.Result, error) {
	key := client.ObjectKeyFromObject(s.svc)
	have := &Endpoints{}
	err := r.Client.Get(ctx, key, have)
	if err != nil && !apierrors.IsNotFound(err) {
		return ctrl.Result{}, fmt.Errorf("reading Endpoints %s: %w", key.Name, err)
	}
	exists := err == nil

	if s.svc.Spec.Type == vmopv1.VirtualMachineServiceTypeExternalName {
		// No endpoints: remove ours, left from an earlier type.
		if exists && isControlledBy(have, s.svc) {
			if err := r.Client.Delete(ctx, have); err != nil && !apierrors.IsNotFound(err) {
				return ctrl.Result{}, fmt.Errorf("deleting Endpoints %s: %w", key.Name, err)
			}
		}
		return ctrl.Result{}, nil
	}
	if len(s.svc.Spec.Selector) == 0 {
		if exists {
			s.subsets = have.Subsets
		}
		return ctrl.Result{}, nil
	}

	var vms vmopv1.VirtualMachineList
	if err := r.Client.List(ctx, &vms, client.InNamespace(key.Namespace), client.MatchingLabels(s.svc.Spec.Selector)); err != nil {
		return ctrl.Result{}, fmt.Errorf("listing VirtualMachines: %w", err)
	}
	var current []EndpointSubset
	if exists {
		current = have.Subsets
	}
	subsets := EndpointSubsets(s.svc, vms.Items, current)
	s.subsets = subsets

	if !exists {
		ep := &Endpoints{
			ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name, Labels: DesiredService(s.svc).Labels},
			Subsets:    subsets,
		}
		if err := controllerutil.SetControllerReference(s.svc, ep, r.Scheme); err != nil {
			return ctrl.Result{}, err
		}
		if err := r.Client.Create(ctx, ep); err != nil {
			return requeueOnConflict(fmt.Errorf("creating Endpoints %s: %w", key.Name, err))
		}
		return ctrl.Result{}, nil
	}
	if err := adoptable(s.svc, "Endpoints", have); err != nil {
		return ctrl.Result{}, err
	}
	changed := false
	if metav1.GetControllerOf(have) == nil {
		if err := controllerutil.SetControllerReference(s.svc, have, r.Scheme); err != nil {
			return ctrl.Result{}, err
		}
		changed = true
	}
	if !equality.Semantic.DeepEqual(have.Subsets, subsets) {
		have.Subsets = subsets
		changed = true
	}
	if mergeLabels(&have.ObjectMeta, s.svc.Labels) || changed {
		if err := r.Client.Update(ctx, have); err != nil {
			return requeueOnConflict(fmt.Errorf("updating Endpoints %s: %w", key.Name, err))
		}
	}
	return ctrl.Result{}, nil
}

func isControlledBy(obj metav1.Object, svc *vmopv1.VirtualMachineService) bool {
	ref := metav1.GetControllerOf(obj)
	return ref != nil && ref.UID == svc.UID
}

// reconcileAddress gives a LoadBalancer service its address, records it
// in the annotation (before anyone sees it in status) and reports it; a
// service of another type gives its address back.
func (r *Reconciler) reconcileAddress(ctx context.Context, s *scope) (ctrl.Result, error) {
	who := owner(s.key)
	if !s.isLoadBalancer() {
		r.release(ctx, s.key)
		s.svc.Status.LoadBalancer.Ingress = nil
		return requeueOnConflict(r.record(ctx, s, netip.Addr{}))
	}
	if _, err := r.Addresses.refreshPools(ctx); err != nil {
		return ctrl.Result{}, err
	}
	var want netip.Addr
	if asked := s.svc.Spec.LoadBalancerIP; asked != "" {
		var err error
		if want, err = netip.ParseAddr(asked); err != nil {
			s.addressErr = fmt.Errorf("spec.loadBalancerIP %q is not an IP address", asked)
		}
	}
	var ip netip.Addr
	if s.addressErr == nil {
		ip, s.addressErr = r.Addresses.alloc.Allocate(who, want)
	}
	if s.addressErr != nil {
		// No address, or not the one asked for: keep serving on the one
		// the service has, if any.
		ip, _ = r.Addresses.alloc.Lookup(who)
	}
	if !ip.IsValid() {
		s.svc.Status.LoadBalancer.Ingress = nil
		// Waits for a pool change or a released address.
		return requeueOnConflict(r.record(ctx, s, netip.Addr{}))
	}
	if err := r.record(ctx, s, ip); err != nil {
		return requeueOnConflict(err)
	}
	s.address = ip
	s.svc.Status.LoadBalancer.Ingress = []vmopv1.LoadBalancerIngress{{IP: ip.String()}}
	return ctrl.Result{}, nil
}

// record writes ip (none: removes) to the service's annotation.
func (r *Reconciler) record(ctx context.Context, s *scope, ip netip.Addr) error {
	cur, has := s.svc.Annotations[LoadBalancerIPAnnotation]
	if (!ip.IsValid() && !has) || (ip.IsValid() && has && cur == ip.String()) {
		return nil
	}
	before := s.svc.DeepCopy()
	if ip.IsValid() {
		if s.svc.Annotations == nil {
			s.svc.Annotations = map[string]string{}
		}
		s.svc.Annotations[LoadBalancerIPAnnotation] = ip.String()
	} else {
		delete(s.svc.Annotations, LoadBalancerIPAnnotation)
	}
	status := s.svc.Status
	if err := r.Client.Patch(ctx, s.svc, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("recording load-balancer address: %w", err)
	}
	// The patch returns the stored status; keep what this pass computed.
	s.svc.Status = status
	if ip.IsValid() {
		ctrl.LoggerFrom(ctx).Info("Allocated load-balancer address", "address", ip)
	}
	return nil
}

// reconcileDataPlane hands the service to the data plane, or takes it off.
func (r *Reconciler) reconcileDataPlane(_ context.Context, s *scope) (ctrl.Result, error) {
	name := s.key.String()
	if !s.isLoadBalancer() || !s.address.IsValid() {
		if err := r.LoadBalancer.Set(name, nil); err != nil {
			return ctrl.Result{}, err
		}
		return ctrl.Result{}, nil
	}
	if err := r.LoadBalancer.Set(name, LoadBalancerService(s.svc, s.address, s.subsets)); err != nil {
		if errors.Is(err, lb.ErrStopped) {
			return ctrl.Result{}, nil // the Supervisor is stopping: nothing to report
		}
		s.dataPlaneErr = err
		return ctrl.Result{RequeueAfter: retryDataPlane}, nil
	}
	return ctrl.Result{}, nil
}
