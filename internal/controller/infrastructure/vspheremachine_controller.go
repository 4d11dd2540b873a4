package infrastructure

import (
	"context"
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	vmopv1 "github.com/kubevisor/kubevisor/api/vmoperator/v1alpha3"
	vmwarev1 "github.com/kubevisor/kubevisor/api/vmware/v1beta1"
)

var _ reconcile.Reconciler = &MachineReconciler{}

// MachineReconciler reconciles VSphereMachines.
type MachineReconciler struct {
	// Client reads through the manager's cache and writes to the API.
	Client client.Client
	// Scheme resolves owner references' kinds.
	Scheme *runtime.Scheme
}

// SetupWithManager registers the VSphereMachine controller and its watches
// with mgr.
func (r *MachineReconciler) SetupWithManager(mgr ctrl.Manager, o controller.Options) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&vmwarev1.VSphereMachine{}).
		Owns(&vmopv1.VirtualMachine{}).
		Watches(&clusterv1.Machine{}, handler.EnqueueRequestsFromMapFunc(machineToVSphereMachine),
			builder.WithPredicates(machineChanged)).
		Watches(&clusterv1.Cluster{}, handler.EnqueueRequestsFromMapFunc(r.clusterToVSphereMachines),
			builder.WithPredicates(clusterChanged(true))).
		WithOptions(o).
		Named("vspheremachine").
		Complete(r)
}

// Reconcile keeps the VirtualMachine and volumes of one VSphereMachine and
// reports them, or removes them when it is being deleted.
func (r *MachineReconciler) Reconcile(ctx context.Context, req ctrl.Request) (_ ctrl.Result, reterr error) {
	vsm := &vmwarev1.VSphereMachine{}
	if err := r.Client.Get(ctx, req.NamespacedName, vsm); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}

	machine, err := r.ownerMachine(ctx, vsm)
	if err != nil {
		return ctrl.Result{}, err
	}
	clusterName := vsm.Labels[clusterv1.ClusterNameLabel]
	if machine != nil {
		clusterName = machine.Spec.ClusterName
		ctx = ctrl.LoggerInto(ctx, ctrl.LoggerFrom(ctx).WithValues("Machine", klog.KObj(machine)))
	}
	var cluster *clusterv1.Cluster
	if clusterName != "" {
		if cluster, err = getCluster(ctx, r.Client, vsm.Namespace, clusterName); err != nil {
			return ctrl.Result{}, err
		}
		ctx = ctrl.LoggerInto(ctx, ctrl.LoggerFrom(ctx).WithValues("Cluster", klog.KRef(vsm.Namespace, clusterName)))
	}

	// The finalizer goes on once a Machine owns the VSphereMachine: nothing
	// is made before.
	if machine != nil && vsm.DeletionTimestamp.IsZero() && !controllerutil.ContainsFinalizer(vsm, vmwarev1.MachineFinalizer) {
		if err := addFinalizer(ctx, r.Client, vsm, vmwarev1.MachineFinalizer); err != nil {
			return requeueOnConflict(err)
		}
	}

	s := &machineScope{vsm: vsm, machine: machine, cluster: cluster, clusterName: clusterName}
	before := vsm.DeepCopy()
	defer func() {
		if s.finalized {
			return
		}
		setMachineStatus(vsm, s)
		if err := patchVSphereMachine(ctx, r.Client, before, vsm); err != nil {
			reterr = errors.Join(reterr, err)
		}
	}()

	if s.paused = isPaused(cluster, vsm); s.paused {
		return ctrl.Result{}, nil
	}
	if !vsm.DeletionTimestamp.IsZero() {
		return r.reconcileDelete(ctx, s)
	}
	return r.reconcileNormal(ctx, s)
}

// ownerMachine is the Machine that owns vsm; nil when none does (yet), or
// it is gone.
func (r *MachineReconciler) ownerMachine(ctx context.Context, vsm *vmwarev1.VSphereMachine) (*clusterv1.Machine, error) {
	name := ownerName(vsm, clusterv1.GroupVersion.Group, "Machine")
	if name == "" {
		return nil, nil
	}
	m := &clusterv1.Machine{}
	if err := r.Client.Get(ctx, client.ObjectKey{Namespace: vsm.Namespace, Name: name}, m); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("reading Machine %s: %w", name, err)
	}
	return m, nil
}

// patchVSphereMachine writes vsm's spec, then its status, each only when
// it differs from before.
func patchVSphereMachine(ctx context.Context, c client.Client, before, vsm *vmwarev1.VSphereMachine) error {
	status := vsm.Status
	if !equality.Semantic.DeepEqual(before.Spec, vsm.Spec) {
		if err := c.Patch(ctx, vsm, client.MergeFrom(before)); err != nil {
			return client.IgnoreNotFound(fmt.Errorf("patching VSphereMachine: %w", err))
		}
		vsm.Status = status // the patch returns the stored status
	}
	if equality.Semantic.DeepEqual(before.Status, status) {
		return nil
	}
	base := vsm.DeepCopy()
	base.Status = before.Status
	if err := c.Status().Patch(ctx, vsm, client.MergeFrom(base)); err != nil {
		return client.IgnoreNotFound(fmt.Errorf("patching VSphereMachine status: %w", err))
	}
	return nil
}

// machineToVSphereMachine maps a Machine to its VSphereMachine.
func machineToVSphereMachine(_ context.Context, o client.Object) []reconcile.Request {
	m, ok := o.(*clusterv1.Machine)
	if !ok {
		return nil
	}
	ref := m.Spec.InfrastructureRef
	if ref.APIGroup != vmwarev1.GroupName || ref.Kind != "VSphereMachine" || ref.Name == "" {
		return nil
	}
	return []reconcile.Request{{NamespacedName: client.ObjectKey{Namespace: m.Namespace, Name: ref.Name}}}
}

// machineChanged passes Machine updates that matter to its VSphereMachine:
// bootstrap data, labels, failure domain, infrastructure reference and
// deletion.
var machineChanged = predicate.Funcs{
	UpdateFunc: func(e event.UpdateEvent) bool {
		old, okOld := e.ObjectOld.(*clusterv1.Machine)
		m, okNew := e.ObjectNew.(*clusterv1.Machine)
		if !okOld || !okNew {
			return true
		}
		return ptr.Deref(old.Spec.Bootstrap.DataSecretName, "") != ptr.Deref(m.Spec.Bootstrap.DataSecretName, "") ||
			!equality.Semantic.DeepEqual(old.Labels, m.Labels) ||
			old.Spec.FailureDomain != m.Spec.FailureDomain ||
			old.Spec.InfrastructureRef != m.Spec.InfrastructureRef ||
			!old.DeletionTimestamp.Equal(m.DeletionTimestamp)
	},
}

// clusterToVSphereMachines maps a Cluster to the VSphereMachines of its
// cluster (by Cluster API's cluster name label).
func (r *MachineReconciler) clusterToVSphereMachines(ctx context.Context, o client.Object) []reconcile.Request {
	var list vmwarev1.VSphereMachineList
	if err := r.Client.List(ctx, &list, client.InNamespace(o.GetNamespace()), client.MatchingLabels{clusterv1.ClusterNameLabel: o.GetName()}); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Listing VSphereMachines to requeue")
		return nil
	}
	out := make([]reconcile.Request, 0, len(list.Items))
	for i := range list.Items {
		out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
	}
	return out
}
