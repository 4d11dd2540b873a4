package webhook

import (
	"context"
	"errors"
	"net/http"
	"regexp"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	runv1 "github.com/kubevisor/kubevisor/api/run/v1alpha3"
	"github.com/kubevisor/kubevisor/internal/tkg"
	"github.com/kubevisor/kubevisor/internal/tkg/tkc"
)

// TanzuKubernetesClusterPath is where TanzuKubernetesClusters are validated.
const TanzuKubernetesClusterPath = "/validate-run-tanzu-vmware-com-v1alpha3-tanzukubernetescluster"

// ClusterValidator checks a Cluster before it is created or changed, such
// as (*tkg.Validator).ValidateCluster. Errors of type *tkg.RefusedError are
// the user's to fix; others are the Supervisor's.
type ClusterValidator func(ctx context.Context, c *clusterv1.Cluster) (warnings []string, err error)

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
	warnings, err := v.Validate(ctx, cluster)
	var refused *tkg.RefusedError
	if errors.As(err, &refused) {
		return admission.Denied((&tkg.RefusedError{Field: tkcField(refused.Field), Message: refused.Message}).Error()).WithWarnings(warnings...)
	}
	if err != nil {
		return refusal(err).WithWarnings(warnings...)
	}
	return admission.Allowed("").WithWarnings(warnings...)
}

// poolOverride matches a node pool's variable override in a Cluster field
// path: the pool's index, the variable and what follows it.
var poolOverride = regexp.MustCompile(`^spec\.topology\.workers\.machineDeployments\[(\d+)\]\.variables\.overrides\[(\w+)\](.*)$`)

// clusterVariable matches a cluster-level variable in a Cluster field path.
var clusterVariable = regexp.MustCompile(`^spec\.topology\.variables\[(\w+)\](.*)$`)

// tkcFields are the TKC fields, under the control plane or a node pool,
// that the converted Cluster's variables come from.
var tkcFields = map[string]string{
	tkc.VMClassVariable:             "vmClass",
	tkc.StorageClassVariable:        "storageClass",
	tkc.ControlPlaneVolumesVariable: "volumes",
	tkc.NodePoolVolumesVariable:     "volumes",
}

// tkcField translates the path of a field of the converted Cluster into
// the TanzuKubernetesCluster field it came from, so that the user is told
// what to change in the object they wrote. Paths with no counterpart are
// returned as they are.
func tkcField(field string) string {
	if field == "spec.topology.version" {
		return "spec.topology.controlPlane.tkr.reference.name"
	}
	if m := poolOverride.FindStringSubmatch(field); m != nil {
		if f, ok := tkcFields[m[2]]; ok {
			return "spec.topology.nodePools[" + m[1] + "]." + f + m[3]
		}
	}
	if m := clusterVariable.FindStringSubmatch(field); m != nil {
		if f, ok := tkcFields[m[1]]; ok {
			return "spec.topology.controlPlane." + f + m[2]
		}
	}
	return field
}
