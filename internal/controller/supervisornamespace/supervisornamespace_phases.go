package supervisornamespace

import (
	"context"
	"fmt"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	imgregv1 "github.com/kubevisor/kubevisor/api/imageregistry/v1alpha1"
	kubevisorv1 "github.com/kubevisor/kubevisor/api/kubevisor/v1alpha1"
	vmopv1 "github.com/kubevisor/kubevisor/api/vmoperator/v1alpha3"
	"github.com/kubevisor/kubevisor/internal/controller/supervisornamespace/derive"
	"github.com/kubevisor/kubevisor/internal/quota"
)

// scope is what one reconcile pass has learnt about a SupervisorNamespace.
type scope struct {
	sn *kubevisorv1.SupervisorNamespace

	// conflict: a Namespace of this name exists that is not ours.
	conflict bool
	// terminating: our Namespace is still being deleted.
	terminating bool
	// deleting: the SupervisorNamespace is being deleted.
	deleting bool
	// finalized: the finalizer is gone, and so may the object be.
	finalized bool
	// incomplete: the pass stopped early to retry on fresher data; it
	// proves nothing about readiness.
	incomplete bool
	// missing* are bound names that name no object.
	missingClasses, missingPolicies, missingLibraries []string
	// err is the error the pass ends with.
	err error
}

func (s *scope) readiness() readiness {
	return readiness{
		deleting:         s.deleting,
		conflict:         s.conflict,
		terminating:      s.terminating,
		err:              s.err,
		missingClasses:   s.missingClasses,
		missingPolicies:  s.missingPolicies,
		missingLibraries: s.missingLibraries,
	}
}

// retry ends a pass that failed: a write conflict (our cache was behind)
// is retried quietly, anything else is returned.
func (s *scope) retry(err error) (ctrl.Result, error) {
	s.incomplete = true
	return requeueOnConflict(err)
}

func (r *Reconciler) reconcileNormal(ctx context.Context, s *scope) (ctrl.Result, error) {
	if err := r.reconcileNamespace(ctx, s); err != nil {
		return s.retry(err)
	}
	if s.conflict {
		return ctrl.Result{}, nil
	}
	if s.terminating {
		return ctrl.Result{RequeueAfter: deletionPoll}, nil
	}
	phases := []func(context.Context, *scope) error{
		r.reconcileRoleBindings,
		r.reconcileQuota,
		r.reconcileLimitRange,
		r.reconcileVMClasses,
		r.reconcileContentLibraries,
		r.reconcileUsage,
	}
	for _, phase := range phases {
		if err := phase(ctx, s); err != nil {
			return s.retry(err)
		}
	}
	return ctrl.Result{}, nil
}

// reconcileNamespace creates the Namespace, or finds that a Namespace of
// the same name is not ours or is still being deleted.
func (r *Reconciler) reconcileNamespace(ctx context.Context, s *scope) error {
	desired := derive.Namespace(s.sn)
	ns := &corev1.Namespace{}
	err := r.Client.Get(ctx, client.ObjectKeyFromObject(desired), ns)
	switch {
	case apierrors.IsNotFound(err):
		if err := r.Client.Create(ctx, desired); err != nil {
			// AlreadyExists: the cache has not seen it yet; whose is it?
			return fmt.Errorf("creating Namespace %s: %w", desired.Name, err)
		}
		ctrl.LoggerFrom(ctx).Info("Created Namespace", "namespace", desired.Name)
	case err != nil:
		return fmt.Errorf("reading Namespace %s: %w", desired.Name, err)
	case ns.Labels[derive.SupervisorNamespaceLabel] != s.sn.Name:
		s.conflict = true
		return nil
	case !ns.DeletionTimestamp.IsZero():
		s.terminating = true
		return nil
	}
	s.sn.Status.Namespace = desired.Name
	return nil
}

// reconcileRoleBindings keeps one RoleBinding per permission and deletes
// the managed ones no permission asks for.
func (r *Reconciler) reconcileRoleBindings(ctx context.Context, s *scope) error {
	var existing rbacv1.RoleBindingList
	if err := r.Client.List(ctx, &existing, managedIn(s.sn.Name)...); err != nil {
		return fmt.Errorf("listing RoleBindings: %w", err)
	}
	current := map[string]*rbacv1.RoleBinding{}
	for i := range existing.Items {
		current[existing.Items[i].Name] = &existing.Items[i]
	}
	for _, want := range derive.RoleBindings(s.sn) {
		have, ok := current[want.Name]
		delete(current, want.Name)
		switch {
		case !ok:
			if err := r.create(ctx, &want); err != nil {
				return err
			}
		case have.RoleRef != want.RoleRef:
			// roleRef cannot be changed: replace the binding.
			if err := r.delete(ctx, have); err != nil {
				return err
			}
			if err := r.create(ctx, &want); err != nil {
				return err
			}
		case !equality.Semantic.DeepEqual(have.Subjects, want.Subjects) || !hasLabels(have, want.Labels):
			have.Subjects = want.Subjects
			mergeLabels(have, want.Labels)
			if err := r.update(ctx, have); err != nil {
				return err
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(current)) {
		if err := r.delete(ctx, current[name]); err != nil {
			return err
		}
	}
	return nil
}

// reconcileQuota keeps the ResourceQuota of the limits and of the storage
// classes.
func (r *Reconciler) reconcileQuota(ctx context.Context, s *scope) error {
	var policies kubevisorv1.StoragePolicyList
	if err := r.Client.List(ctx, &policies); err != nil {
		return fmt.Errorf("listing StoragePolicies: %w", err)
	}
	names := make([]string, 0, len(policies.Items))
	for _, p := range policies.Items {
		names = append(names, p.Name)
	}
	s.missingPolicies = nil
	for _, a := range s.sn.Spec.StorageClasses {
		if !slices.Contains(names, a.Name) {
			s.missingPolicies = append(s.missingPolicies, a.Name)
		}
	}

	want := derive.ResourceQuota(s.sn, names)
	have := &corev1.ResourceQuota{}
	return r.ensure(ctx, want, have, func() bool {
		if equality.Semantic.DeepEqual(have.Spec.Hard, want.Spec.Hard) && hasLabels(have, want.Labels) {
			return false
		}
		have.Spec.Hard = want.Spec.Hard
		mergeLabels(have, want.Labels)
		return true
	})
}

// reconcileLimitRange keeps the LimitRange of container defaults.
func (r *Reconciler) reconcileLimitRange(ctx context.Context, s *scope) error {
	want := derive.LimitRange(s.sn)
	have := &corev1.LimitRange{}
	return r.ensure(ctx, want, have, func() bool {
		if equality.Semantic.DeepEqual(have.Spec, want.Spec) && hasLabels(have, want.Labels) {
			return false
		}
		have.Spec = want.Spec
		mergeLabels(have, want.Labels)
		return true
	})
}

// reconcileVMClasses copies every bound ClusterVirtualMachineClass into the
// namespace and deletes the copies of classes no longer bound. A bound
// class that does not exist is reported; its copy, if any, is kept, since
// VMs of the namespace may use it.
func (r *Reconciler) reconcileVMClasses(ctx context.Context, s *scope) error {
	var existing vmopv1.VirtualMachineClassList
	if err := r.Client.List(ctx, &existing, managedIn(s.sn.Name)...); err != nil {
		return fmt.Errorf("listing VirtualMachineClasses: %w", err)
	}
	current := map[string]*vmopv1.VirtualMachineClass{}
	for i := range existing.Items {
		current[existing.Items[i].Name] = &existing.Items[i]
	}
	s.missingClasses = nil
	for _, name := range s.sn.Spec.VMClasses {
		have, ok := current[name]
		delete(current, name)
		class := &kubevisorv1.ClusterVirtualMachineClass{}
		if err := r.Client.Get(ctx, client.ObjectKey{Name: name}, class); err != nil {
			if apierrors.IsNotFound(err) {
				s.missingClasses = append(s.missingClasses, name)
				continue
			}
			return fmt.Errorf("reading ClusterVirtualMachineClass %s: %w", name, err)
		}
		want := derive.VirtualMachineClass(s.sn.Name, class)
		switch {
		case !ok:
			if err := r.create(ctx, want); err != nil {
				return err
			}
		case !equality.Semantic.DeepEqual(have.Spec, want.Spec) || !hasLabels(have, want.Labels):
			have.Spec = want.Spec
			mergeLabels(have, want.Labels)
			if err := r.update(ctx, have); err != nil {
				return err
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(current)) {
		if err := r.delete(ctx, current[name]); err != nil {
			return err
		}
	}
	return nil
}

// reconcileContentLibraries binds every listed ClusterContentLibrary into
// the namespace as a read-only ContentLibrary and deletes the bindings of
// libraries no longer listed.
func (r *Reconciler) reconcileContentLibraries(ctx context.Context, s *scope) error {
	var existing imgregv1.ContentLibraryList
	if err := r.Client.List(ctx, &existing, managedIn(s.sn.Name)...); err != nil {
		return fmt.Errorf("listing ContentLibraries: %w", err)
	}
	current := map[string]*imgregv1.ContentLibrary{}
	for i := range existing.Items {
		current[existing.Items[i].Name] = &existing.Items[i]
	}
	s.missingLibraries = nil
	for _, name := range s.sn.Spec.ContentLibraries {
		have, ok := current[name]
		delete(current, name)
		library := &imgregv1.ClusterContentLibrary{}
		if err := r.Client.Get(ctx, client.ObjectKey{Name: name}, library); err != nil {
			if apierrors.IsNotFound(err) {
				s.missingLibraries = append(s.missingLibraries, name)
				continue
			}
			return fmt.Errorf("reading ClusterContentLibrary %s: %w", name, err)
		}
		want := derive.ContentLibrary(s.sn.Name, library)
		switch {
		case !ok:
			if err := r.create(ctx, want); err != nil {
				return err
			}
		case have.Spec.UUID != want.Spec.UUID:
			// The UUID is immutable: replace the binding.
			if err := r.delete(ctx, have); err != nil {
				return err
			}
			if err := r.create(ctx, want); err != nil {
				return err
			}
		case !sameLibrarySpec(have.Spec, want.Spec) || !hasLabels(have, want.Labels):
			have.Spec = want.Spec
			mergeLabels(have, want.Labels)
			if err := r.update(ctx, have); err != nil {
				return err
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(current)) {
		if err := r.delete(ctx, current[name]); err != nil {
			return err
		}
	}
	return nil
}

// sameLibrarySpec compares what a binding sets, after the API's defaults.
func sameLibrarySpec(have, want imgregv1.ContentLibrarySpec) bool {
	return have.UUID == want.UUID &&
		have.ResourceNamingStrategy == want.ResourceNamingStrategy &&
		have.Writable == want.Writable &&
		have.AllowImport == want.AllowImport &&
		have.Subscription == nil && have.Publication == nil
}

// reconcileUsage sums the CPU and memory of the namespace's VMs (their
// classes' hardware) and the storage its claims request.
func (r *Reconciler) reconcileUsage(ctx context.Context, s *scope) error {
	ns := client.InNamespace(s.sn.Name)
	var vms vmopv1.VirtualMachineList
	if err := r.Client.List(ctx, &vms, ns); err != nil {
		return fmt.Errorf("listing VirtualMachines: %w", err)
	}
	var bound vmopv1.VirtualMachineClassList
	if err := r.Client.List(ctx, &bound, ns); err != nil {
		return fmt.Errorf("listing VirtualMachineClasses: %w", err)
	}
	var cluster kubevisorv1.ClusterVirtualMachineClassList
	if err := r.Client.List(ctx, &cluster); err != nil {
		return fmt.Errorf("listing ClusterVirtualMachineClasses: %w", err)
	}
	var claims corev1.PersistentVolumeClaimList
	if err := r.Client.List(ctx, &claims, ns); err != nil {
		return fmt.Errorf("listing PersistentVolumeClaims: %w", err)
	}
	s.sn.Status.Usage = usage(quota.VMsOf(vms.Items), quota.ClassResources(bound.Items, cluster.Items), claims.Items)
	return nil
}

// usage is the status.usage of VMs of classes and of claims.
func usage(vms []quota.VM, classes map[string]quota.Resources, claims []corev1.PersistentVolumeClaim) kubevisorv1.ResourceUsage {
	total, _ := quota.Sum(vms, classes)
	storage := resource.NewQuantity(0, resource.BinarySI)
	for _, c := range claims {
		if q, ok := c.Spec.Resources.Requests[corev1.ResourceStorage]; ok {
			storage.Add(q)
		}
	}
	return kubevisorv1.ResourceUsage{CPU: &total.CPU, Memory: &total.Memory, Storage: storage}
}

// reconcileDelete deletes the Namespace and removes the finalizer once it
// is gone. A Namespace that is not ours is left alone.
func (r *Reconciler) reconcileDelete(ctx context.Context, s *scope) (ctrl.Result, error) {
	s.deleting = true
	if !controllerutil.ContainsFinalizer(s.sn, Finalizer) {
		return ctrl.Result{}, nil
	}
	ns := &corev1.Namespace{}
	err := r.APIReader.Get(ctx, client.ObjectKey{Name: s.sn.Name}, ns)
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		return ctrl.Result{}, fmt.Errorf("reading Namespace %s: %w", s.sn.Name, err)
	case ns.Labels[derive.SupervisorNamespaceLabel] != s.sn.Name:
	default:
		if ns.DeletionTimestamp.IsZero() {
			uid := ns.UID
			if err := r.Client.Delete(ctx, ns, client.Preconditions{UID: &uid}); err != nil && !apierrors.IsNotFound(err) {
				return ctrl.Result{}, fmt.Errorf("deleting Namespace %s: %w", ns.Name, err)
			}
			ctrl.LoggerFrom(ctx).Info("Deleting Namespace", "namespace", ns.Name)
		}
		return ctrl.Result{RequeueAfter: deletionPoll}, nil
	}
	before := s.sn.DeepCopy()
	controllerutil.RemoveFinalizer(s.sn, Finalizer)
	if err := r.Client.Patch(ctx, s.sn, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
		return requeueOnConflict(client.IgnoreNotFound(fmt.Errorf("removing finalizer: %w", err)))
	}
	s.finalized = true
	return ctrl.Result{}, nil
}

// managedIn selects the objects of this controller in namespace.
func managedIn(namespace string) []client.ListOption {
	return []client.ListOption{client.InNamespace(namespace), client.MatchingLabels{derive.ManagedByLabel: derive.ManagedBy}}
}

// ensure creates want when no object of its name exists; otherwise it reads
// it into have and calls change, which updates have from want and reports
// whether it changed anything, in which case have is written back.
func (r *Reconciler) ensure(ctx context.Context, want, have client.Object, change func() bool) error {
	err := r.Client.Get(ctx, client.ObjectKeyFromObject(want), have)
	if apierrors.IsNotFound(err) {
		return r.create(ctx, want)
	}
	if err != nil {
		return fmt.Errorf("reading %T %s: %w", want, want.GetName(), err)
	}
	if !change() {
		return nil
	}
	return r.update(ctx, have)
}

func (r *Reconciler) create(ctx context.Context, obj client.Object) error {
	if err := r.Client.Create(ctx, obj); err != nil {
		if apierrors.IsAlreadyExists(err) {
			// The cache is behind our own earlier create; its event
			// brings us back.
			return nil
		}
		return fmt.Errorf("creating %s %s/%s: %w", kindOf(obj), obj.GetNamespace(), obj.GetName(), err)
	}
	ctrl.LoggerFrom(ctx).Info("Created", "kind", kindOf(obj), "object", client.ObjectKeyFromObject(obj))
	return nil
}

func (r *Reconciler) update(ctx context.Context, obj client.Object) error {
	if err := r.Client.Update(ctx, obj); err != nil {
		return fmt.Errorf("updating %s %s/%s: %w", kindOf(obj), obj.GetNamespace(), obj.GetName(), err)
	}
	ctrl.LoggerFrom(ctx).Info("Updated", "kind", kindOf(obj), "object", client.ObjectKeyFromObject(obj))
	return nil
}

func (r *Reconciler) delete(ctx context.Context, obj client.Object) error {
	if err := r.Client.Delete(ctx, obj); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting %s %s/%s: %w", kindOf(obj), obj.GetNamespace(), obj.GetName(), err)
	}
	ctrl.LoggerFrom(ctx).Info("Deleted", "kind", kindOf(obj), "object", client.ObjectKeyFromObject(obj))
	return nil
}

// kindOf names the kind of one of the objects this controller writes.
func kindOf(obj client.Object) string {
	switch obj.(type) {
	case *corev1.Namespace:
		return "Namespace"
	case *rbacv1.RoleBinding:
		return "RoleBinding"
	case *corev1.ResourceQuota:
		return "ResourceQuota"
	case *corev1.LimitRange:
		return "LimitRange"
	case *vmopv1.VirtualMachineClass:
		return "VirtualMachineClass"
	case *imgregv1.ContentLibrary:
		return "ContentLibrary"
	}
	return fmt.Sprintf("%T", obj)
}

// hasLabels reports whether obj carries every label of want.
func hasLabels(obj client.Object, want map[string]string) bool {
	have := obj.GetLabels()
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

func mergeLabels(obj client.Object, want map[string]string) {
	l := obj.GetLabels()
	if l == nil {
		l = map[string]string{}
	}
	maps.Copy(l, want)
	obj.SetLabels(l)
}
