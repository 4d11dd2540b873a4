package webhook

import (
	"context"
	"net/http"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	runv1 "github.com/kubevisor/kubevisor/api/run/v1alpha3"
	"github.com/kubevisor/kubevisor/internal/tkg/tkc"
)

// TanzuKubernetesClusterPath is where TanzuKubernetesClusters are validated.
const TanzuKubernetesClusterPath = "/validate-run-tanzu-vmware-com-v1alpha3-tanzukubernetescluster"

// ClusterValidator checks a Cluster before it is created or changed, such
// as (*tkg.Validator).ValidateCluster. Errors of type *tkg.RefusedError are
// the user's to fix; others are the Supervisor's.
type ClusterValidator func(ctx context.Context, c *clusterv1.Cluster, dryRun bool) (warnings []string, err error)

// TanzuKubernetesClusterValidator refuses a TanzuKubernetesCluster whose
// Cluster would be refused: one that cannot be converted (an unknown CNI,
// no release, node pools on another release), or whose release, VM classes,
// storage classes or size the namespace cannot give. So the user hears of
// it from kubectl apply rather than from the TKC's status later.
type TanzuKubernetesClusterValidator struct {
	// Validate checks the converted Cluster; it is always called as a dry
	// run, as the Cluster itself is admitted when the controller creates it.
	Validate ClusterValidator
	decoder  admission.Decoder
}

// SetupTanzuKubernetesClusterAdmission serves the validator on mgr's
// webhook server, checking converted Clusters with validate.
func SetupTanzuKubernetesClusterAdmission(mgr ctrl.Manager, validate ClusterValidator) {
	v := &TanzuKubernetesClusterValidator{Validate: validate, decoder: admission.NewDecoder(mgr.GetScheme())}
	mgr.GetWebhookServer().Register(TanzuKubernetesClusterPath, &admission.Webhook{Handler: v})
}

// Handle validates a create, or an update that changes the spec. Updates
// of metadata or status pass, and so does a TKC being deleted, so that a
// cluster admitted once can always have its finalizer removed.
func (v *TanzuKubernetesClusterValidator) Handle(ctx context.Context, req admission.Request) admission.Response {
	t := &runv1.TanzuKubernetesCluster{}
	if err := v.decoder.Decode(req, t); err != nil {
		return admission.Errored(http.StatusBadRequest, err)
	}
	if !t.DeletionTimestamp.IsZero() {
		return admission.Allowed("")
	}
	if req.Operation == admissionv1.Update {
		old := &runv1.TanzuKubernetesCluster{}
		if err := v.decoder.DecodeRaw(req.OldObject, old); err != nil {
			return admission.Errored(http.StatusBadRequest, err)
		}
		if equality.Semantic.DeepEqual(old.Spec, t.Spec) {
			return admission.Allowed("")
		}
	}
	if t.Namespace == "" {
		t.Namespace = req.Namespace
	}
	if t.Name == "" {
		t.Name = req.Name
	}
	cluster, err := tkc.ToCluster(t)
	if err != nil {
		return admission.Denied(err.Error())
	}
	warnings, err := v.Validate(ctx, cluster, true)
	if err != nil {
		return refusal(err).WithWarnings(warnings...)
	}
	return admission.Allowed("").WithWarnings(warnings...)
}
