package volume

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

const (
	// DirectoryProvisioner backs a volume with a directory.
	DirectoryProvisioner = "kubevisor.io/local-directory"
	// ImageFileProvisioner backs a volume with an ext4 image file.
	ImageFileProvisioner = "kubevisor.io/image-file"

	// provisionerAnnotation is set by the PV controller on claims for an
	// external provisioner.
	provisionerAnnotation = "volume.kubernetes.io/storage-provisioner"
	// provisionedByAnnotation marks the volumes this package made, as the
	// external provisioner library does.
	provisionedByAnnotation = "pv.kubernetes.io/provisioned-by"
	// Finalizer holds a volume until its backing store is removed.
	Finalizer = "kubevisor.io/volume"
)

var _ reconcile.Reconciler = &ClaimReconciler{}

// ClaimReconciler provisions volumes for pending claims.
type ClaimReconciler struct {
	Client client.Client
	// Root is where backing stores live (<data-dir>/volumes).
	Root string
}

// SetupWithManager registers the claim and volume controllers.
func (r *ClaimReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if err := ctrl.NewControllerManagedBy(mgr).Named("volume-provisioner").For(&corev1.PersistentVolumeClaim{}).Complete(r); err != nil {
		return err
	}
	return ctrl.NewControllerManagedBy(mgr).Named("volume-reclaimer").
		For(&corev1.PersistentVolume{}).
		Watches(&corev1.PersistentVolumeClaim{}, handler.EnqueueRequestsFromMapFunc(func(_ context.Context, o client.Object) []reconcile.Request {
			if v := o.(*corev1.PersistentVolumeClaim).Spec.VolumeName; v != "" {
				return []reconcile.Request{{NamespacedName: client.ObjectKey{Name: v}}}
			}
			return nil
		})).
		Complete(&reclaimer{client: r.Client})
}

// Reconcile provisions a volume for a pending claim of one of our classes.
func (r *ClaimReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	pvc := &corev1.PersistentVolumeClaim{}
	if err := r.Client.Get(ctx, req.NamespacedName, pvc); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	prov := pvc.Annotations[provisionerAnnotation]
	if (prov != DirectoryProvisioner && prov != ImageFileProvisioner) || pvc.Spec.VolumeName != "" || !pvc.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}
	// The volume's name is derived from the claim, so a repeated pass
	// finds what an earlier one made.
	name := "pvc-" + string(pvc.UID)
	pv := &corev1.PersistentVolume{}
	err := r.Client.Get(ctx, client.ObjectKey{Name: name}, pv)
	if err == nil {
		return ctrl.Result{}, nil // the PV controller binds it
	}
	if !apierrors.IsNotFound(err) {
		return ctrl.Result{}, err
	}
	size := pvc.Spec.Resources.Requests[corev1.ResourceStorage]
	if size.IsZero() {
		return ctrl.Result{}, reconcile.TerminalError(fmt.Errorf("claim %s/%s requests no storage", pvc.Namespace, pvc.Name))
	}
	sc := &storagev1.StorageClass{}
	if pvc.Spec.StorageClassName == nil {
		return ctrl.Result{}, nil
	}
	if err := r.Client.Get(ctx, client.ObjectKey{Name: *pvc.Spec.StorageClassName}, sc); err != nil {
		return ctrl.Result{}, err
	}
	path := filepath.Join(r.Root, name)
	if err := create(prov, path, size.Value()); err != nil {
		return ctrl.Result{}, fmt.Errorf("creating the backing store of %s/%s: %w", pvc.Namespace, pvc.Name, err)
	}
	reclaim := corev1.PersistentVolumeReclaimDelete
	if sc.ReclaimPolicy != nil {
		reclaim = *sc.ReclaimPolicy
	}
	hostPathType := corev1.HostPathDirectory
	if prov == ImageFileProvisioner {
		hostPathType = corev1.HostPathFile
	}
	pv = &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Annotations: map[string]string{provisionedByAnnotation: prov},
			Finalizers:  []string{Finalizer},
		},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: size},
			AccessModes:                   pvc.Spec.AccessModes,
			PersistentVolumeReclaimPolicy: reclaim,
			StorageClassName:              sc.Name,
			ClaimRef:                      &corev1.ObjectReference{Kind: "PersistentVolumeClaim", APIVersion: "v1", Namespace: pvc.Namespace, Name: pvc.Name, UID: pvc.UID},
			PersistentVolumeSource:        corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: path, Type: &hostPathType}},
			VolumeMode:                    pvc.Spec.VolumeMode,
		},
	}
	if err := r.Client.Create(ctx, pv); err != nil && !apierrors.IsAlreadyExists(err) {
		return ctrl.Result{}, err
	}
	ctrl.LoggerFrom(ctx).Info("Provisioned a volume", "pv", name, "path", path, "size", size.String())
	return ctrl.Result{}, nil
}

// create makes the backing store at path, idempotently.
func create(provisioner, path string, size int64) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	if provisioner == DirectoryProvisioner {
		return os.MkdirAll(path, 0o755)
	}
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if err := f.Truncate(size); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if out, err := exec.Command("mkfs.ext4", "-q", "-F", "-m", "0", tmp).CombinedOutput(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("mkfs.ext4: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return os.Rename(tmp, path)
}

// reclaimer removes the backing store of released volumes with the Delete
// policy, then lets the volume go.
type reclaimer struct {
	client client.Client
}

func (r *reclaimer) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	pv := &corev1.PersistentVolume{}
	if err := r.client.Get(ctx, req.NamespacedName, pv); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	prov := pv.Annotations[provisionedByAnnotation]
	if prov != DirectoryProvisioner && prov != ImageFileProvisioner {
		return ctrl.Result{}, nil
	}
	released := pv.Status.Phase == corev1.VolumeReleased && pv.Spec.PersistentVolumeReclaimPolicy == corev1.PersistentVolumeReclaimDelete
	if released && pv.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, client.IgnoreNotFound(r.client.Delete(ctx, pv))
	}
	if pv.DeletionTimestamp.IsZero() || !controllerutil.ContainsFinalizer(pv, Finalizer) {
		return ctrl.Result{}, nil
	}
	if pv.Spec.HostPath != nil {
		if err := os.RemoveAll(pv.Spec.HostPath.Path); err != nil {
			return ctrl.Result{}, fmt.Errorf("removing %s: %w", pv.Spec.HostPath.Path, err)
		}
	}
	controllerutil.RemoveFinalizer(pv, Finalizer)
	return ctrl.Result{}, client.IgnoreNotFound(r.client.Update(ctx, pv))
}
