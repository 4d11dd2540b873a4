package webhook

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	admissionv1 "k8s.io/api/admission/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	imgregv1 "github.com/kubevisor/kubevisor/api/imageregistry/v1alpha1"
	kubevisorv1 "github.com/kubevisor/kubevisor/api/kubevisor/v1alpha1"
)

// SupervisorNamespacePath is where SupervisorNamespaces are validated.
const SupervisorNamespacePath = "/validate-kubevisor-io-v1alpha1-supervisornamespace"

// SupervisorNamespaceValidator refuses SupervisorNamespaces that bind VM
// classes, storage policies or content libraries that do not exist. The
// rest (roles, non-negative limits, the name) is the CRD schema's.
type SupervisorNamespaceValidator struct {
	// Reader reads the API directly, so that a class created a moment ago
	// is found.
	Reader  client.Reader
	decoder admission.Decoder
}

// SetupSupervisorNamespaceAdmission serves the validator on mgr's webhook
// server.
func SetupSupervisorNamespaceAdmission(mgr ctrl.Manager) {
	v := &SupervisorNamespaceValidator{Reader: mgr.GetAPIReader(), decoder: admission.NewDecoder(mgr.GetScheme())}
	mgr.GetWebhookServer().Register(SupervisorNamespacePath, &admission.Webhook{Handler: v})
}

// Handle validates a create or update. On update only the names added by
// it are checked, so that an object whose class was deleted since can
// still be changed (or have its finalizer removed).
func (v *SupervisorNamespaceValidator) Handle(ctx context.Context, req admission.Request) admission.Response {
	sn := &kubevisorv1.SupervisorNamespace{}
	if err := v.decoder.Decode(req, sn); err != nil {
		return admission.Errored(http.StatusBadRequest, err)
	}
	var old *kubevisorv1.SupervisorNamespace
	if req.Operation == admissionv1.Update {
		old = &kubevisorv1.SupervisorNamespace{}
		if err := v.decoder.DecodeRaw(req.OldObject, old); err != nil {
			return admission.Errored(http.StatusBadRequest, err)
		}
	}
	if !sn.DeletionTimestamp.IsZero() {
		return admission.Allowed("")
	}
	refs := newReferences(sn, old)
	if refs.empty() {
		return admission.Allowed("")
	}
	have, err := v.existing(ctx, refs)
	if err != nil {
		return admission.Errored(http.StatusInternalServerError, err)
	}
	if problems := refs.missing(have); len(problems) > 0 {
		return admission.Denied(strings.Join(problems, "; "))
	}
	return admission.Allowed("")
}

// existing lists the objects of the kinds refs names.
func (v *SupervisorNamespaceValidator) existing(ctx context.Context, refs references) (existingObjects, error) {
	var have existingObjects
	if len(refs.classes) > 0 {
		var list kubevisorv1.ClusterVirtualMachineClassList
		if err := v.Reader.List(ctx, &list); err != nil {
			return have, fmt.Errorf("listing ClusterVirtualMachineClasses: %w", err)
		}
		for _, o := range list.Items {
			have.classes = append(have.classes, o.Name)
		}
	}
	if len(refs.policies) > 0 {
		var list kubevisorv1.StoragePolicyList
		if err := v.Reader.List(ctx, &list); err != nil {
			return have, fmt.Errorf("listing StoragePolicies: %w", err)
		}
		for _, o := range list.Items {
			have.policies = append(have.policies, o.Name)
		}
	}
	if len(refs.libraries) > 0 {
		var list imgregv1.ClusterContentLibraryList
		if err := v.Reader.List(ctx, &list); err != nil {
			return have, fmt.Errorf("listing ClusterContentLibraries: %w", err)
		}
		for _, o := range list.Items {
			have.libraries = append(have.libraries, o.Name)
		}
	}
	return have, nil
}

// reference is a name at a field path.
type reference struct {
	field, name string
}

// references are the names a SupervisorNamespace binds that must exist.
type references struct {
	classes, policies, libraries []reference
}

// existingObjects are the names of the objects that exist, per kind.
type existingObjects struct {
	classes, policies, libraries []string
}

// newReferences returns the names sn binds that old (nil on create) did
// not.
func newReferences(sn, old *kubevisorv1.SupervisorNamespace) references {
	var oldClasses, oldPolicies, oldLibraries []string
	if old != nil {
		oldClasses = old.Spec.VMClasses
		for _, a := range old.Spec.StorageClasses {
			oldPolicies = append(oldPolicies, a.Name)
		}
		oldLibraries = old.Spec.ContentLibraries
	}
	var refs references
	for i, name := range sn.Spec.VMClasses {
		if !slices.Contains(oldClasses, name) {
			refs.classes = append(refs.classes, reference{fmt.Sprintf("spec.vmClasses[%d]", i), name})
		}
	}
	for i, a := range sn.Spec.StorageClasses {
		if !slices.Contains(oldPolicies, a.Name) {
			refs.policies = append(refs.policies, reference{fmt.Sprintf("spec.storageClasses[%d].name", i), a.Name})
		}
	}
	for i, name := range sn.Spec.ContentLibraries {
		if !slices.Contains(oldLibraries, name) {
			refs.libraries = append(refs.libraries, reference{fmt.Sprintf("spec.contentLibraries[%d]", i), name})
		}
	}
	return refs
}

func (r references) empty() bool {
	return len(r.classes)+len(r.policies)+len(r.libraries) == 0
}

// missing describes every reference that names no existing object, and
// how to list the ones that do.
func (r references) missing(have existingObjects) []string {
	var out []string
	check := func(refs []reference, names []string, kind, list string) {
		for _, ref := range refs {
			if !slices.Contains(names, ref.name) {
				out = append(out, fmt.Sprintf("%s: %s %q does not exist (kubectl get %s)", ref.field, kind, ref.name, list))
			}
		}
	}
	check(r.classes, have.classes, "ClusterVirtualMachineClass", "clustervirtualmachineclasses")
	check(r.policies, have.policies, "StoragePolicy", "storagepolicies")
	check(r.libraries, have.libraries, "ClusterContentLibrary", "clustercontentlibraries")
	return out
}
