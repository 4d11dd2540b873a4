package tanzukubernetesrelease

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/version"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	runv1 "github.com/kubevisor/kubevisor/api/run/v1alpha3"
	vmopv1 "github.com/kubevisor/kubevisor/api/vmoperator/v1alpha3"
	"github.com/kubevisor/kubevisor/internal/tkr"
)

// SupportedMinors is the range of Kubernetes minor versions this
// Supervisor's Cluster API and node bootstrap can run: Cluster API v1.14
// manages workload clusters of Kubernetes 1.31 to 1.36.
var SupportedMinors = [2]uint{31, 36}

var _ reconcile.Reconciler = &Reconciler{}

// Reconciler turns TKR images into releases.
type Reconciler struct {
	Client client.Client
}

// SetupWithManager registers the controller.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named("tanzukubernetesrelease").
		For(&vmopv1.ClusterVirtualMachineImage{}).
		Owns(&runv1.TanzuKubernetesRelease{}).
		Owns(&runv1.OSImage{}).
		Complete(r)
}

// Reconcile publishes the release an image carries, if any.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	img := &vmopv1.ClusterVirtualMachineImage{}
	if err := r.Client.Get(ctx, req.NamespacedName, img); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !img.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil // owner references remove the release
	}
	props := map[string]string{}
	for _, p := range img.Status.VMwareSystemProperties {
		props[p.Key] = p.Value
	}
	release, osImages, err := tkr.Objects(props)
	if errors.Is(err, tkr.ErrNotTKR) {
		return ctrl.Result{}, nil
	}
	if err != nil {
		ctrl.LoggerFrom(ctx).Info("The image's TKR metadata cannot be read", "error", err.Error())
		return ctrl.Result{}, nil
	}
	imageReady := meta.IsStatusConditionTrue(img.Status.Conditions, vmopv1.ReadyConditionType)

	for _, osi := range osImages {
		osi.Spec.Image.Ref = map[string]string{"name": img.Name}
		setOSImageConditions(osi, imageReady)
		if err := r.applyOSImage(ctx, img, osi); err != nil {
			return ctrl.Result{}, err
		}
	}
	SetConditions(release, osImages, imageReady)
	return ctrl.Result{}, r.applyRelease(ctx, img, release)
}

// applyOSImage creates or updates an OSImage owned by img, writing only
// what changed.
func (r *Reconciler) applyOSImage(ctx context.Context, img *vmopv1.ClusterVirtualMachineImage, desired *runv1.OSImage) error {
	if err := controllerutil.SetOwnerReference(img, desired, r.Client.Scheme()); err != nil {
		return err
	}
	current := &runv1.OSImage{}
	err := r.Client.Get(ctx, client.ObjectKeyFromObject(desired), current)
	if apierrors.IsNotFound(err) {
		status := desired.Status
		if err := r.Client.Create(ctx, desired); err != nil {
			return err
		}
		desired.Status = status
		return r.Client.Status().Update(ctx, desired)
	}
	if err != nil || !ownedBy(current, img) {
		// A release of this name published from elsewhere keeps its owner.
		return err
	}
	if !equality.Semantic.DeepEqual(current.Spec, desired.Spec) || !equality.Semantic.DeepEqual(current.Labels, desired.Labels) {
		current.Spec, current.Labels = desired.Spec, desired.Labels
		if err := r.Client.Update(ctx, current); err != nil {
			return err
		}
	}
	if conditionsChanged(current.Status.Conditions, desired.Status.Conditions) {
		for _, c := range desired.Status.Conditions {
			meta.SetStatusCondition(&current.Status.Conditions, c)
		}
		return r.Client.Status().Update(ctx, current)
	}
	return nil
}

// applyRelease creates or updates a TanzuKubernetesRelease owned by img,
// writing only what changed.
func (r *Reconciler) applyRelease(ctx context.Context, img *vmopv1.ClusterVirtualMachineImage, desired *runv1.TanzuKubernetesRelease) error {
	if err := controllerutil.SetOwnerReference(img, desired, r.Client.Scheme()); err != nil {
		return err
	}
	current := &runv1.TanzuKubernetesRelease{}
	err := r.Client.Get(ctx, client.ObjectKeyFromObject(desired), current)
	if apierrors.IsNotFound(err) {
		status := desired.Status
		if err := r.Client.Create(ctx, desired); err != nil {
			return err
		}
		desired.Status = status
		return r.Client.Status().Update(ctx, desired)
	}
	if err != nil || !ownedBy(current, img) {
		return err
	}
	if !equality.Semantic.DeepEqual(current.Spec, desired.Spec) || !equality.Semantic.DeepEqual(current.Labels, desired.Labels) {
		current.Spec, current.Labels = desired.Spec, desired.Labels
		if err := r.Client.Update(ctx, current); err != nil {
			return err
		}
	}
	if conditionsChanged(current.Status.Conditions, desired.Status.Conditions) {
		for _, c := range desired.Status.Conditions {
			meta.SetStatusCondition(&current.Status.Conditions, c)
		}
		return r.Client.Status().Update(ctx, current)
	}
	return nil
}

// conditionsChanged reports whether setting want on have would change it.
func conditionsChanged(have, want []metav1.Condition) bool {
	for _, w := range want {
		h := meta.FindStatusCondition(have, w.Type)
		if h == nil || h.Status != w.Status || h.Reason != w.Reason || h.Message != w.Message || h.ObservedGeneration != w.ObservedGeneration {
			return true
		}
	}
	return false
}

// SetConditions computes a release's Valid, Compatible and Ready
// conditions from itself, its OSImages and whether its image is usable.
func SetConditions(release *runv1.TanzuKubernetesRelease, osImages []*runv1.OSImage, imageReady bool) {
	g := release.Generation
	valid := metav1.Condition{Type: runv1.ValidCondition, Status: metav1.ConditionTrue, Reason: "Valid", ObservedGeneration: g}
	if !strings.HasPrefix(strings.TrimPrefix(release.Spec.Version, "v"), strings.TrimPrefix(strings.SplitN(release.Spec.Kubernetes.Version, "+", 2)[0], "v")) {
		valid = metav1.Condition{Type: runv1.ValidCondition, Status: metav1.ConditionFalse, Reason: runv1.TKRVersionMismatchReason, ObservedGeneration: g,
			Message: fmt.Sprintf("spec.version %s does not start with spec.kubernetes.version %s", release.Spec.Version, release.Spec.Kubernetes.Version)}
	}
	for _, ref := range release.Spec.OSImages {
		found := false
		for _, osi := range osImages {
			if osi.Name == ref.Name {
				found = true
			}
		}
		if !found {
			valid = metav1.Condition{Type: runv1.ValidCondition, Status: metav1.ConditionFalse, Reason: runv1.MissingOSImageReason, ObservedGeneration: g,
				Message: fmt.Sprintf("OSImage %s is not in the release's image", ref.Name)}
		}
	}
	compatible := metav1.Condition{Type: runv1.CompatibleCondition, Status: metav1.ConditionTrue, Reason: "Compatible", ObservedGeneration: g}
	if v, err := version.ParseGeneric(release.Spec.Kubernetes.Version); err != nil {
		compatible = metav1.Condition{Type: runv1.CompatibleCondition, Status: metav1.ConditionFalse, Reason: runv1.CannotParseTKRReason, ObservedGeneration: g, Message: err.Error()}
	} else if v.Major() != 1 || v.Minor() < SupportedMinors[0] || v.Minor() > SupportedMinors[1] {
		compatible = metav1.Condition{Type: runv1.CompatibleCondition, Status: metav1.ConditionFalse, Reason: "Incompatible", ObservedGeneration: g,
			Message: fmt.Sprintf("this Supervisor runs Kubernetes 1.%d to 1.%d clusters, not %s", SupportedMinors[0], SupportedMinors[1], release.Spec.Kubernetes.Version)}
	} else if !imageReady {
		compatible = metav1.Condition{Type: runv1.CompatibleCondition, Status: metav1.ConditionFalse, Reason: runv1.ImageNotFoundReason, ObservedGeneration: g,
			Message: "the release's node image is not ready in its content library"}
	}
	ready := metav1.Condition{Type: runv1.ReadyCondition, Status: metav1.ConditionTrue, Reason: "Ready", ObservedGeneration: g}
	for _, c := range []metav1.Condition{valid, compatible} {
		if c.Status != metav1.ConditionTrue {
			ready = metav1.Condition{Type: runv1.ReadyCondition, Status: metav1.ConditionFalse, Reason: c.Reason, Message: c.Message, ObservedGeneration: g}
			break
		}
	}
	release.Status.Conditions = []metav1.Condition{valid, compatible, ready}
}

func setOSImageConditions(osi *runv1.OSImage, imageReady bool) {
	c := metav1.Condition{Type: runv1.CompatibleCondition, Status: metav1.ConditionTrue, Reason: "Compatible"}
	r := metav1.Condition{Type: runv1.ReadyCondition, Status: metav1.ConditionTrue, Reason: "Ready"}
	if !imageReady {
		c = metav1.Condition{Type: runv1.CompatibleCondition, Status: metav1.ConditionFalse, Reason: runv1.ImageNotFoundReason, Message: "the image is not ready in its content library"}
		r = metav1.Condition{Type: runv1.ReadyCondition, Status: metav1.ConditionFalse, Reason: runv1.ImageNotFoundReason, Message: c.Message}
	}
	osi.Status.Conditions = []metav1.Condition{c, r}
}

func ownedBy(o client.Object, img *vmopv1.ClusterVirtualMachineImage) bool {
	for _, ref := range o.GetOwnerReferences() {
		if ref.UID == img.UID {
			return true
		}
	}
	return false
}
