package storagepolicy

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	kubevisorv1 "github.com/kubevisor/kubevisor/api/kubevisor/v1alpha1"
)

// Labels of the StorageClasses this controller makes.
const (
	// ManagedByLabel marks objects a kubevisor controller maintains.
	ManagedByLabel = "kubevisor.io/managed-by"
	// ManagedBy is ManagedByLabel's value on StorageClasses.
	ManagedBy = "storagepolicy"
	// ProvisionerPrefix starts the provisioner of every StorageClass; the
	// provider's name follows.
	ProvisionerPrefix = "kubevisor.io/"
)

var _ reconcile.Reconciler = &Reconciler{}

// Reconciler reconciles StoragePolicies.
type Reconciler struct {
	// Client reads through the manager's cache and writes to the API.
	Client client.Client
	// Scheme resolves the owner reference's kind.
	Scheme *runtime.Scheme
}

// SetupWithManager registers the controller with mgr.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&kubevisorv1.StoragePolicy{}).
		Owns(&storagev1.StorageClass{}).
		Named("storagepolicy").
		Complete(r)
}

// Reconcile keeps the StorageClass of one StoragePolicy.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (_ ctrl.Result, reterr error) {
	policy := &kubevisorv1.StoragePolicy{}
	if err := r.Client.Get(ctx, req.NamespacedName, policy); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !policy.DeletionTimestamp.IsZero() {
		// The garbage collector deletes the StorageClass it owns.
		return ctrl.Result{}, nil
	}
	before := policy.DeepCopy()
	var result outcome
	defer func() {
		result.err = reterr
		setReadyCondition(policy, result)
		if equality.Semantic.DeepEqual(before.Status, policy.Status) {
			return
		}
		if err := r.Client.Status().Patch(ctx, policy, client.MergeFrom(before)); err != nil && !apierrors.IsNotFound(err) {
			reterr = errors.Join(reterr, fmt.Errorf("patching status: %w", err))
		}
	}()

	want, err := StorageClass(policy, r.Scheme)
	if err != nil {
		return ctrl.Result{}, err
	}
	have := &storagev1.StorageClass{}
	err = r.Client.Get(ctx, client.ObjectKeyFromObject(want), have)
	switch {
	case apierrors.IsNotFound(err):
		return ctrl.Result{}, r.create(ctx, want)
	case err != nil:
		return ctrl.Result{}, fmt.Errorf("reading StorageClass %s: %w", want.Name, err)
	case !isControlledBy(have, policy):
		result.conflict = true
		return ctrl.Result{}, nil
	case !sameImmutable(have, want):
		// Provisioner, parameters, reclaim policy and binding mode cannot
		// be changed: replace the class. Existing volumes keep theirs.
		if err := r.Client.Delete(ctx, have); err != nil && !apierrors.IsNotFound(err) {
			return ctrl.Result{}, fmt.Errorf("deleting StorageClass %s to replace it: %w", have.Name, err)
		}
		ctrl.LoggerFrom(ctx).Info("Deleted StorageClass to replace it", "storageClass", have.Name)
		return ctrl.Result{}, r.create(ctx, want)
	case !equality.Semantic.DeepEqual(have.AllowVolumeExpansion, want.AllowVolumeExpansion) || !hasLabels(have.Labels, want.Labels):
		have.AllowVolumeExpansion = want.AllowVolumeExpansion
		if have.Labels == nil {
			have.Labels = map[string]string{}
		}
		maps.Copy(have.Labels, want.Labels)
		if err := r.Client.Update(ctx, have); err != nil {
			if apierrors.IsConflict(err) {
				return ctrl.Result{RequeueAfter: time.Second}, nil
			}
			return ctrl.Result{}, fmt.Errorf("updating StorageClass %s: %w", have.Name, err)
		}
		ctrl.LoggerFrom(ctx).Info("Updated StorageClass", "storageClass", have.Name)
	}
	return ctrl.Result{}, nil
}

func (r *Reconciler) create(ctx context.Context, sc *storagev1.StorageClass) error {
	if err := r.Client.Create(ctx, sc); err != nil {
		if apierrors.IsAlreadyExists(err) {
			// The cache is behind, or the class being replaced is not gone
			// yet: its event brings us back.
			return nil
		}
		return fmt.Errorf("creating StorageClass %s: %w", sc.Name, err)
	}
	ctrl.LoggerFrom(ctx).Info("Created StorageClass", "storageClass", sc.Name)
	return nil
}

// isControlledBy reports whether sc's controller is policy.
func isControlledBy(sc *storagev1.StorageClass, policy *kubevisorv1.StoragePolicy) bool {
	ref := metav1.GetControllerOf(sc)
	return ref != nil && ref.UID == policy.UID
}

// StorageClass is the StorageClass of policy, owned by it.
func StorageClass(policy *kubevisorv1.StoragePolicy, scheme *runtime.Scheme) (*storagev1.StorageClass, error) {
	reclaim := corev1.PersistentVolumeReclaimDelete
	binding := storagev1.VolumeBindingImmediate
	expand := true
	sc := &storagev1.StorageClass{
		Provisioner:          ProvisionerPrefix + string(policy.Spec.Provider),
		Parameters:           maps.Clone(policy.Spec.Parameters),
		ReclaimPolicy:        &reclaim,
		VolumeBindingMode:    &binding,
		AllowVolumeExpansion: &expand,
	}
	sc.Name = policy.Name
	sc.Labels = map[string]string{ManagedByLabel: ManagedBy}
	if err := controllerutil.SetControllerReference(policy, sc, scheme); err != nil {
		return nil, fmt.Errorf("owning StorageClass %s: %w", sc.Name, err)
	}
	return sc, nil
}

// sameImmutable compares the fields of a StorageClass that cannot change.
func sameImmutable(have, want *storagev1.StorageClass) bool {
	return have.Provisioner == want.Provisioner &&
		maps.Equal(have.Parameters, want.Parameters) &&
		equality.Semantic.DeepEqual(have.ReclaimPolicy, want.ReclaimPolicy) &&
		equality.Semantic.DeepEqual(have.VolumeBindingMode, want.VolumeBindingMode)
}

func hasLabels(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}
