package tanzukubernetesrelease

import (
	"context"
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	runv1 "github.com/kubevisor/kubevisor/api/run/v1alpha3"
	"github.com/kubevisor/kubevisor/internal/tkg"
)

// allReleases is the one request UpdatesReconciler works on: a release's
// updates depend on every other release, so any change is a pass over all.
var allReleases = reconcile.Request{NamespacedName: types.NamespacedName{Name: "tanzukubernetesreleases"}}

var _ reconcile.Reconciler = &UpdatesReconciler{}

// UpdatesReconciler sets every release's UpdatesAvailable condition, as
// TKG does: True with the versions of the releases a cluster on it can move
// to (tkg.Updates), in brackets; False (AlreadyUpToDate) when there are
// none. `tanzu kubernetes-release get` shows it as UPDATES AVAILABLE.
type UpdatesReconciler struct {
	Client client.Client
}

// SetupWithManager registers the controller.
func (r *UpdatesReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named("tanzukubernetesrelease-updates").
		Watches(&runv1.TanzuKubernetesRelease{}, handler.EnqueueRequestsFromMapFunc(
			func(context.Context, client.Object) []reconcile.Request { return []reconcile.Request{allReleases} })).
		Complete(r)
}

// Reconcile writes the UpdatesAvailable condition of each release whose
// condition differs from what the releases now say. What it writes does
// not change what it computes, so a pass after its own writes is quiet.
func (r *UpdatesReconciler) Reconcile(ctx context.Context, _ ctrl.Request) (ctrl.Result, error) {
	var all runv1.TanzuKubernetesReleaseList
	if err := r.Client.List(ctx, &all); err != nil {
		return ctrl.Result{}, err
	}
	// Each release is written on its own: one that fails does not hold
	// back the others.
	var errs []error
	conflict := false
	for i := range all.Items {
		tkr := &all.Items[i]
		if !tkr.DeletionTimestamp.IsZero() {
			continue
		}
		c := tkg.UpdatesAvailable(tkr, all.Items)
		c.ObservedGeneration = tkr.Generation
		if !conditionsChanged(tkr.Status.Conditions, []metav1.Condition{c}) {
			continue
		}
		patch := client.MergeFromWithOptions(tkr.DeepCopy(), client.MergeFromWithOptimisticLock{})
		meta.SetStatusCondition(&tkr.Status.Conditions, c)
		err := r.Client.Status().Patch(ctx, tkr, patch)
		switch {
		case err == nil, apierrors.IsNotFound(err):
		case apierrors.IsConflict(err):
			// The release changed since the list (the image controller
			// writes its other conditions): the next pass sees it.
			conflict = true
		default:
			errs = append(errs, fmt.Errorf("patching the status of TanzuKubernetesRelease %s: %w", tkr.Name, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return ctrl.Result{}, err
	}
	if conflict {
		return ctrl.Result{RequeueAfter: time.Second}, nil
	}
	return ctrl.Result{}, nil
}
