package clusteraddons

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	addonsv1 "sigs.k8s.io/cluster-api/api/addons/v1beta2"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	"github.com/kubevisor/kubevisor/config/addons"
)

const (
	// CNILabel on a Cluster names the pod network to install.
	CNILabel = "addons.kubevisor.io/cni"
	// KubevisorCNI is the value of CNILabel for kubevisor's routed CNI.
	KubevisorCNI = "kubevisor-cni"
	// objectName names the ConfigMap and ClusterResourceSet of a namespace.
	objectName = "kubevisor-addon-kubevisor-cni"
	// managedLabel marks what this controller made.
	managedLabel = "kubevisor.io/managed-by"
	managedBy    = "clusteraddons"
)

var _ reconcile.Reconciler = &Reconciler{}

// Reconciler keeps one namespace's add-on objects.
type Reconciler struct {
	Client client.Client
}

// SetupWithManager registers the controller; requests are namespaces.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	toNamespace := handler.EnqueueRequestsFromMapFunc(func(_ context.Context, o client.Object) []reconcile.Request {
		return []reconcile.Request{{NamespacedName: client.ObjectKey{Name: o.GetNamespace()}}}
	})
	return ctrl.NewControllerManagedBy(mgr).
		Named("clusteraddons").
		Watches(&clusterv1.Cluster{}, toNamespace).
		Watches(&addonsv1.ClusterResourceSet{}, toNamespace).
		Complete(r)
}

// Reconcile makes namespace req.Name's add-on objects match its Clusters.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	ns := req.Name
	clusters := &clusterv1.ClusterList{}
	if err := r.Client.List(ctx, clusters, client.InNamespace(ns), client.MatchingLabels{CNILabel: KubevisorCNI}); err != nil {
		return ctrl.Result{}, err
	}
	wanted := false
	for _, c := range clusters.Items {
		if c.DeletionTimestamp.IsZero() {
			wanted = true
		}
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: objectName}}
	crs := &addonsv1.ClusterResourceSet{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: objectName}}
	if !wanted {
		for _, o := range []client.Object{crs, cm} {
			if err := r.Client.Delete(ctx, o); err != nil && !apierrors.IsNotFound(err) {
				return ctrl.Result{}, err
			}
		}
		return ctrl.Result{}, nil
	}
	desiredCM, desiredCRS := Objects(ns)
	if err := r.ensure(ctx, cm, desiredCM, func() bool { return equality.Semantic.DeepEqual(cm.Data, desiredCM.Data) }, func() { cm.Data = desiredCM.Data }); err != nil {
		return ctrl.Result{}, err
	}
	if err := r.ensure(ctx, crs, desiredCRS, func() bool { return equality.Semantic.DeepEqual(crs.Spec, desiredCRS.Spec) }, func() { crs.Spec = desiredCRS.Spec }); err != nil {
		return ctrl.Result{}, err
	}
	return ctrl.Result{}, nil
}

// ensure creates desired when current does not exist, and otherwise
// updates current when same reports a difference.
func (r *Reconciler) ensure(ctx context.Context, current, desired client.Object, same func() bool, adopt func()) error {
	err := r.Client.Get(ctx, client.ObjectKeyFromObject(desired), current)
	switch {
	case apierrors.IsNotFound(err):
		return r.Client.Create(ctx, desired)
	case err != nil:
		return err
	case same():
		return nil
	}
	adopt()
	if err := r.Client.Update(ctx, current); err != nil {
		return fmt.Errorf("updating %s: %w", desired.GetName(), err)
	}
	return nil
}

// Objects returns the ConfigMap and ClusterResourceSet that install the
// routed CNI into the labelled Clusters of namespace ns.
func Objects(ns string) (*corev1.ConfigMap, *addonsv1.ClusterResourceSet) {
	labels := map[string]string{managedLabel: managedBy}
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: objectName, Labels: labels},
		Data:       map[string]string{addons.KubevisorCNIManifest: string(addons.KubevisorCNI())},
	}
	crs := &addonsv1.ClusterResourceSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: objectName, Labels: labels},
		Spec: addonsv1.ClusterResourceSetSpec{
			ClusterSelector: metav1.LabelSelector{MatchLabels: map[string]string{CNILabel: KubevisorCNI}},
			Resources:       []addonsv1.ResourceRef{{Name: objectName, Kind: string(addonsv1.ConfigMapClusterResourceSetResourceKind)}},
			Strategy:        string(addonsv1.ClusterResourceSetStrategyReconcile),
		},
	}
	return cm, crs
}
