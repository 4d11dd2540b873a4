package virtualmachinepublishrequest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	imgregv1 "github.com/kubevisor/kubevisor/api/imageregistry/v1alpha1"
	vmopv1 "github.com/kubevisor/kubevisor/api/vmoperator/v1alpha3"
	"github.com/kubevisor/kubevisor/internal/library"
	"github.com/kubevisor/kubevisor/internal/provider"
)

const (
	// PublishRequestUIDProperty is the OVF property, in the published
	// item's ProductSection, that holds the UID of the request that made
	// it. It tells an item this request imported (before a crash) from one
	// that was there before.
	PublishRequestUIDProperty = "kubevisor.publishrequest.uid"

	// DefaultTargetLabel marks a namespace's default publication target:
	// the ContentLibrary used when spec.target.location.name is empty
	// (vm-operator's label; its value does not matter).
	DefaultTargetLabel = "imageregistry.vmware.com/default"

	// pollInterval is how often a request waiting for its source or target
	// is looked at again, besides the watches.
	pollInterval = 30 * time.Second
	// imagePollInterval is how often a request waiting for its image is
	// looked at again, besides the watches.
	imagePollInterval = 5 * time.Second
)

var _ reconcile.Reconciler = &Reconciler{}

// Library is what the controller needs from the content library service
// (*library.Service implements it).
type Library interface {
	// Import stores the OVA read from body as the item called name of the
	// local library lib and creates or updates its item object.
	Import(ctx context.Context, lib client.Object, name string, body io.Reader) (*library.ImportResult, error)
	// Locate returns the boot disk and OVF descriptor of the item whose
	// UUID is itemID.
	Locate(ctx context.Context, itemID string) (diskPath, ovfPath string, err error)
}

// Reconciler reconciles VirtualMachinePublishRequests.
type Reconciler struct {
	// Client reads and writes the API through the manager's cache.
	Client client.Client
	// Publisher captures VMs' disks; nil when the provider cannot, in
	// which case every request finishes with Complete=False, NotSupported.
	Publisher provider.Publisher
	// ProviderName names the VM provider, for messages.
	ProviderName string
	// Library imports the published OVAs.
	Library Library
	// WorkDir holds the payloads and OVAs while they are made, one
	// subdirectory per request; it should be on the Supervisor's data disk.
	WorkDir string
	// MaxConcurrentReconciles bounds parallel publications (default 2).
	MaxConcurrentReconciles int
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// SetupWithManager registers the controller and its watches. Work files
// left by a Supervisor that crashed mid-publish are removed first.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.WorkDir == "" {
		return fmt.Errorf("the VirtualMachinePublishRequest controller needs a work directory")
	}
	if err := os.RemoveAll(r.WorkDir); err != nil {
		return fmt.Errorf("removing old publish work files: %w", err)
	}
	if err := os.MkdirAll(r.WorkDir, 0o700); err != nil {
		return err
	}
	workers := r.MaxConcurrentReconciles
	if workers == 0 {
		workers = 2
	}
	pending := handler.EnqueueRequestsFromMapFunc(r.pendingInNamespace)
	return ctrl.NewControllerManagedBy(mgr).
		For(&vmopv1.VirtualMachinePublishRequest{}).
		Watches(&vmopv1.VirtualMachine{}, pending).
		Watches(&vmopv1.VirtualMachineImage{}, pending).
		Watches(&imgregv1.ContentLibrary{}, pending).
		Watches(&imgregv1.ContentLibraryItem{}, pending).
		WithOptions(controller.Options{MaxConcurrentReconciles: workers}).
		Complete(r)
}

// pendingInNamespace maps an object to the unfinished requests of its
// namespace, which may be waiting for it.
func (r *Reconciler) pendingInNamespace(ctx context.Context, o client.Object) []reconcile.Request {
	list := &vmopv1.VirtualMachinePublishRequestList{}
	if err := r.Client.List(ctx, list, client.InNamespace(o.GetNamespace())); err != nil {
		return nil
	}
	var out []reconcile.Request
	for i := range list.Items {
		if !finished(&list.Items[i]) {
			out = append(out, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: list.Items[i].Namespace, Name: list.Items[i].Name}})
		}
	}
	return out
}

// scope is one pass over a request: the request and its status as last
// written.
type scope struct {
	pr   *vmopv1.VirtualMachinePublishRequest
	base *vmopv1.VirtualMachinePublishRequest
}

// flush writes the request's status if it changed since it was last
// written.
func (r *Reconciler) flush(ctx context.Context, s *scope) error {
	if equality.Semantic.DeepEqual(s.base.Status, s.pr.Status) {
		return nil
	}
	if err := r.Client.Status().Patch(ctx, s.pr, client.MergeFrom(s.base)); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("patching the status of VirtualMachinePublishRequest %s/%s: %w", s.pr.Namespace, s.pr.Name, err)
	}
	s.base = s.pr.DeepCopy()
	return nil
}

func (r *Reconciler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// Reconcile moves one request forward: validate, publish, wait for the
// image, and delete it once its TTL after completion has passed.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (_ ctrl.Result, reterr error) {
	pr := &vmopv1.VirtualMachinePublishRequest{}
	if err := r.Client.Get(ctx, req.NamespacedName, pr); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !pr.DeletionTimestamp.IsZero() {
		// Nothing outlives a request but the item, which is the user's.
		return ctrl.Result{}, nil
	}
	s := &scope{pr: pr, base: pr.DeepCopy()}
	defer func() {
		if err := r.flush(ctx, s); err != nil {
			reterr = errors.Join(reterr, err)
		}
	}()
	return r.reconcileNormal(ctx, s)
}

func (r *Reconciler) reconcileNormal(ctx context.Context, s *scope) (ctrl.Result, error) {
	pr := s.pr
	if finished(pr) {
		return r.reconcileTTL(ctx, s)
	}
	if pr.Status.StartTime == nil {
		t := metav1.NewTime(r.now())
		pr.Status.StartTime = &t
	}
	if r.Publisher == nil {
		setFailed(pr, vmopv1.NotSupportedReason,
			fmt.Sprintf("the %s VM provider cannot publish VMs; use a Supervisor whose VM provider is local", r.ProviderName), r.now())
		return r.reconcileTTL(ctx, s)
	}

	// Once the item is imported, the source no longer matters (the VM may
	// even be gone) and the item exists by design.
	uploaded := meta.IsStatusConditionTrue(pr.Status.Conditions, vmopv1.VirtualMachinePublishRequestConditionUploaded)
	var (
		vm         *vmopv1.VirtualMachine
		srcProblem *problem
		err        error
	)
	if !uploaded {
		if vm, srcProblem, err = r.resolveSource(ctx, pr); err != nil {
			return ctrl.Result{}, err
		}
		setCondition(pr, vmopv1.VirtualMachinePublishRequestConditionSourceValid, srcProblem)
	}
	t, tgtProblem, err := r.resolveTarget(ctx, pr, !uploaded)
	if err != nil {
		return ctrl.Result{}, err
	}
	setCondition(pr, vmopv1.VirtualMachinePublishRequestConditionTargetValid, tgtProblem)

	if !uploaded {
		if srcProblem != nil || tgtProblem != nil {
			setCondition(pr, vmopv1.VirtualMachinePublishRequestConditionUploaded,
				&problem{reason: vmopv1.UploadTaskNotStartedReason, message: "waiting for a valid source and target"})
			setCondition(pr, vmopv1.VirtualMachinePublishRequestConditionImageAvailable,
				&problem{reason: vmopv1.TargetVirtualMachineImageNotFoundReason, message: "the VM has not been published yet"})
			setCompleteCondition(pr, r.now())
			return ctrl.Result{RequeueAfter: pollInterval}, nil
		}
		if t.published {
			// An earlier pass imported the item and did not get to record it.
			setCondition(pr, vmopv1.VirtualMachinePublishRequestConditionUploaded, nil)
		} else if res, err := r.upload(ctx, s, vm, t); err != nil || res != nil {
			if !finished(pr) {
				setCompleteCondition(pr, r.now())
			}
			if res == nil {
				return ctrl.Result{}, err
			}
			return *res, err
		}
	}

	var imgProblem *problem
	if t == nil {
		// The library was changed or removed after the upload.
		imgProblem = &problem{reason: vmopv1.TargetVirtualMachineImageNotFoundReason, message: "the target is no longer valid: " + tgtProblem.message}
	} else if imgProblem, err = r.checkImage(ctx, pr, t); err != nil {
		return ctrl.Result{}, err
	}
	setCondition(pr, vmopv1.VirtualMachinePublishRequestConditionImageAvailable, imgProblem)
	setCompleteCondition(pr, r.now())
	if !finished(pr) {
		return ctrl.Result{RequeueAfter: imagePollInterval}, nil
	}
	ctrl.LoggerFrom(ctx).Info("VM published", "source", pr.Status.SourceRef, "image", pr.Status.ImageName)
	return r.reconcileTTL(ctx, s)
}

// reconcileTTL deletes a finished request once
// spec.ttlSecondsAfterFinished has passed since its completion, and
// otherwise comes back then.
func (r *Reconciler) reconcileTTL(ctx context.Context, s *scope) (ctrl.Result, error) {
	pr := s.pr
	if pr.Spec.TTLSecondsAfterFinished == nil || pr.Status.CompletionTime == nil {
		return ctrl.Result{}, nil
	}
	deadline := pr.Status.CompletionTime.Add(time.Duration(*pr.Spec.TTLSecondsAfterFinished) * time.Second)
	if wait := deadline.Sub(r.now()); wait > 0 {
		return ctrl.Result{RequeueAfter: wait}, nil
	}
	if err := r.flush(ctx, s); err != nil {
		return ctrl.Result{}, err
	}
	uid := pr.UID
	err := r.Client.Delete(ctx, pr, client.Preconditions{UID: &uid}, client.PropagationPolicy("Background"))
	if err != nil && !apierrors.IsNotFound(err) {
		return ctrl.Result{}, fmt.Errorf("deleting VirtualMachinePublishRequest %s/%s after its TTL: %w", pr.Namespace, pr.Name, err)
	}
	return ctrl.Result{}, nil
}
