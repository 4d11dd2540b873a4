package infrastructure

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	kubevisorv1 "github.com/kubevisor/kubevisor/api/kubevisor/v1alpha1"
	vmopv1 "github.com/kubevisor/kubevisor/api/vmoperator/v1alpha3"
	vmwarev1 "github.com/kubevisor/kubevisor/api/vmware/v1beta1"
)

// retryForeign is how often an object in the way (another owner's, or
// still being deleted) is looked at again.
const retryForeign = 10 * time.Second

// clusterScope is what one reconcile pass of a VSphereCluster found.
type clusterScope struct {
	vsc         *vmwarev1.VSphereCluster
	cluster     *clusterv1.Cluster // nil when the Cluster is gone
	clusterName string

	paused   bool
	deleting bool
	// finalized: the finalizer is gone, nothing more is written.
	finalized bool

	// policy is the resource policy as it is now; policyErr why it could
	// not be made so. Both nil: not looked at in this pass.
	policy    *vmopv1.VirtualMachineSetResourcePolicy
	policyErr error
	// service is the control-plane service as it is now; serviceErr why it
	// could not be made so, or offers no endpoint.
	service    *vmopv1.VirtualMachineService
	serviceErr error
	// endpoint is what the service offers; zero while it has no address.
	endpoint vmwarev1.APIEndpoint
	// domainsChecked: the failure domains were computed; domainsErr why
	// they could not be.
	domainsChecked bool
	domainsErr     error
}

func (r *ClusterReconciler) reconcileNormal(ctx context.Context, s *clusterScope) (ctrl.Result, error) {
	phases := []func(context.Context, *clusterScope) error{
		r.reconcileResourcePolicy,
		r.reconcileControlPlaneService,
		r.reconcileFailureDomains,
	}
	for _, phase := range phases {
		if err := phase(ctx, s); err != nil {
			return requeueOnConflict(err)
		}
	}
	return ctrl.Result{}, nil
}

// reconcileResourcePolicy creates or updates the cluster's
// VirtualMachineSetResourcePolicy.
func (r *ClusterReconciler) reconcileResourcePolicy(ctx context.Context, s *clusterScope) error {
	want := desiredResourcePolicy(s.vsc, s.clusterName)
	have := &vmopv1.VirtualMachineSetResourcePolicy{}
	created, err := r.ensure(ctx, s.vsc, "VirtualMachineSetResourcePolicy", want, have, func() bool {
		if equality.Semantic.DeepEqual(have.Spec, want.Spec) {
			return false
		}
		have.Spec = want.Spec
		return true
	})
	if err != nil {
		s.policyErr = err
		return err
	}
	if created {
		have = want
	}
	s.policy = have
	s.vsc.Status.ResourcePolicyName = have.Name
	return nil
}

// reconcileControlPlaneService creates or updates the control-plane
// VirtualMachineService and, once it has an address, sets the cluster's
// control-plane endpoint from it.
func (r *ClusterReconciler) reconcileControlPlaneService(ctx context.Context, s *clusterScope) error {
	want := desiredControlPlaneService(s.vsc, s.clusterName)
	have := &vmopv1.VirtualMachineService{}
	created, err := r.ensure(ctx, s.vsc, "VirtualMachineService", want, have, func() bool {
		if have.Spec.Type == want.Spec.Type &&
			equality.Semantic.DeepEqual(have.Spec.Ports, want.Spec.Ports) &&
			equality.Semantic.DeepEqual(have.Spec.Selector, want.Spec.Selector) {
			return false
		}
		have.Spec.Type, have.Spec.Ports, have.Spec.Selector = want.Spec.Type, want.Spec.Ports, want.Spec.Selector
		return true
	})
	if err != nil {
		s.serviceErr = err
		return err
	}
	if created {
		have = want
	}
	s.service = have
	endpoint, err := controlPlaneEndpoint(have)
	if err != nil {
		s.serviceErr = err
		return nil
	}
	s.endpoint = endpoint
	if endpoint.IsZero() {
		// The service's status change brings us back.
		return nil
	}
	ep := &s.vsc.Spec.ControlPlaneEndpoint
	if ep.Host == "" {
		ep.Host = endpoint.Host
		ctrl.LoggerFrom(ctx).Info("Set the control-plane endpoint", "host", endpoint.Host, "port", endpoint.Port)
	}
	if ep.Port == 0 {
		ep.Port = endpoint.Port
	}
	return nil
}

// reconcileFailureDomains lists the Supervisor's zones as the cluster's
// failure domains.
func (r *ClusterReconciler) reconcileFailureDomains(ctx context.Context, s *clusterScope) error {
	var zones kubevisorv1.ZoneList
	if err := r.Client.List(ctx, &zones); err != nil {
		return fmt.Errorf("listing zones: %w", err)
	}
	s.domainsChecked = true
	domains, err := failureDomains(zones.Items, s.vsc.Spec.FailureDomains.ControlPlane.Selector)
	if err != nil {
		s.domainsErr = err
		return nil
	}
	s.vsc.Status.FailureDomains = domains
	return nil
}

// ensure creates want (controlled by vsc) when it does not exist, or reads
// it into have and brings it up to date: update changes have's spec and
// reports whether it did; labels and the controller reference are added.
// It reports whether it created want. An object another owner controls,
// or one being deleted, is a blockedError.
func (r *ClusterReconciler) ensure(ctx context.Context, vsc *vmwarev1.VSphereCluster, kind string, want, have client.Object, update func() bool) (bool, error) {
	if err := controllerutil.SetControllerReference(vsc, want, r.Scheme); err != nil {
		return false, err
	}
	key := client.ObjectKeyFromObject(want)
	err := r.Client.Get(ctx, key, have)
	switch {
	case apierrors.IsNotFound(err):
		if err := r.Client.Create(ctx, want); err != nil {
			if apierrors.IsAlreadyExists(err) {
				return false, err // the cache is behind: a quiet retry
			}
			return false, fmt.Errorf("creating %s %s: %w", kind, key.Name, err)
		}
		ctrl.LoggerFrom(ctx).Info("Created "+kind, "name", key.Name)
		return true, nil
	case err != nil:
		return false, fmt.Errorf("reading %s %s: %w", kind, key.Name, err)
	}
	if ref := metav1.GetControllerOf(have); ref != nil && ref.UID != vsc.UID {
		return false, &blockedError{retryAfter: retryForeign,
			message: fmt.Sprintf("%s %s belongs to %s %s, not to this VSphereCluster", kind, key.Name, ref.Kind, ref.Name)}
	}
	if !have.GetDeletionTimestamp().IsZero() {
		return false, &blockedError{retryAfter: retryForeign,
			message: fmt.Sprintf("%s %s is still being deleted", kind, key.Name)}
	}
	before, ok := have.DeepCopyObject().(client.Object)
	if !ok {
		return false, fmt.Errorf("copying %s", kind)
	}
	changed := update()
	if metav1.GetControllerOf(have) == nil {
		if err := controllerutil.SetControllerReference(vsc, have, r.Scheme); err != nil {
			return false, err
		}
		changed = true
	}
	if mergeLabels(have, want.GetLabels()) {
		changed = true
	}
	if !changed {
		return false, nil
	}
	if err := r.Client.Patch(ctx, have, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
		if apierrors.IsConflict(err) {
			return false, err
		}
		return false, fmt.Errorf("updating %s %s: %w", kind, key.Name, err)
	}
	ctrl.LoggerFrom(ctx).Info("Updated "+kind, "name", key.Name)
	return false, nil
}

// reconcileDelete deletes the control-plane service (which releases its
// address) and the resource policy, and lets the VSphereCluster go once
// both are gone.
func (r *ClusterReconciler) reconcileDelete(ctx context.Context, s *clusterScope) (ctrl.Result, error) {
	s.deleting = true
	key := types.NamespacedName{Namespace: s.vsc.Namespace, Name: ControlPlaneServiceName(s.clusterName)}
	serviceGone, err := deleteControlled(ctx, r.Client, s.vsc, "VirtualMachineService", &vmopv1.VirtualMachineService{}, key)
	if err != nil {
		return ctrl.Result{}, err
	}
	key.Name = ResourcePolicyName(s.clusterName)
	policyGone, err := deleteControlled(ctx, r.Client, s.vsc, "VirtualMachineSetResourcePolicy", &vmopv1.VirtualMachineSetResourcePolicy{}, key)
	if err != nil {
		return ctrl.Result{}, err
	}
	if !serviceGone || !policyGone {
		// Their deletion events bring us back.
		return ctrl.Result{}, nil
	}
	if err := removeFinalizer(ctx, r.Client, s.vsc, vmwarev1.ClusterFinalizer); err != nil {
		return requeueOnConflict(err)
	}
	s.finalized = true
	ctrl.LoggerFrom(ctx).Info("Removed the cluster's resource policy and control-plane load balancer")
	return ctrl.Result{}, nil
}

// deleteControlled deletes the object at key if owner controls it, and
// reports whether it is gone (or not owner's to delete).
func deleteControlled(ctx context.Context, c client.Client, owner metav1.Object, kind string, obj client.Object, key types.NamespacedName) (bool, error) {
	if err := c.Get(ctx, key, obj); err != nil {
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, fmt.Errorf("reading %s %s: %w", kind, key.Name, err)
	}
	if ref := metav1.GetControllerOf(obj); ref == nil || ref.UID != owner.GetUID() {
		return true, nil
	}
	if !obj.GetDeletionTimestamp().IsZero() {
		return false, nil
	}
	uid := obj.GetUID()
	if err := c.Delete(ctx, obj, client.Preconditions{UID: &uid}); err != nil {
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			return apierrors.IsNotFound(err), nil
		}
		return false, fmt.Errorf("deleting %s %s: %w", kind, key.Name, err)
	}
	ctrl.LoggerFrom(ctx).Info("Deleting "+kind, "name", key.Name)
	return false, nil
}
