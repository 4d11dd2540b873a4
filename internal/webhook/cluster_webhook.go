package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	admissionv1 "k8s.io/api/admission/v1"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/kubevisor/kubevisor/internal/controller/clusteraddons"
	"github.com/kubevisor/kubevisor/internal/tkg"
)

const (
	// ClusterResolvePath is where Clusters of the builtin class get their
	// release resolved.
	ClusterResolvePath = "/mutate-cluster-x-k8s-io-v1beta2-cluster-tkr"
	// ClusterValidatePath is where Clusters of the builtin class are
	// admitted.
	ClusterValidatePath = "/validate-cluster-x-k8s-io-v1beta2-cluster-tkg"
)

// ClusterResolver resolves the release of a Cluster of the builtin class,
// as TKG's tkr-resolver webhook does: it turns spec.topology.version from
// a TKR name or version prefix into the release's Kubernetes version,
// labels the Cluster run.tanzu.vmware.com/tkr and injects TKR_DATA. It
// also names kubevisor's pod network in the Cluster's CNI label when the
// Cluster names none.
type ClusterResolver struct {
	// Resolver does the resolution.
	Resolver *tkg.Resolver
	decoder  admission.Decoder
}

// ClusterAdmission refuses Clusters of the builtin class whose release,
// VM classes, storage classes or size the namespace cannot give.
type ClusterAdmission struct {
	// Validator does the checking.
	Validator *tkg.Validator
	decoder   admission.Decoder
}

// SetupClusterAdmission serves the resolver and the validator on mgr's
// webhook server.
func SetupClusterAdmission(mgr ctrl.Manager, resolver *tkg.Resolver, validator *tkg.Validator) {
	dec := admission.NewDecoder(mgr.GetScheme())
	mgr.GetWebhookServer().Register(ClusterResolvePath, &admission.Webhook{Handler: &ClusterResolver{Resolver: resolver, decoder: dec}})
	mgr.GetWebhookServer().Register(ClusterValidatePath, &admission.Webhook{Handler: &ClusterAdmission{Validator: validator, decoder: dec}})
}

// Handle resolves the release of a created or updated Cluster.
func (h *ClusterResolver) Handle(ctx context.Context, req admission.Request) admission.Response {
	c := &clusterv1.Cluster{}
	if err := h.decoder.Decode(req, c); err != nil {
		return admission.Errored(http.StatusBadRequest, err)
	}
	if !tkg.IsBuiltinClass(c) || !c.DeletionTimestamp.IsZero() {
		return admission.Allowed("")
	}
	if _, err := h.Resolver.Resolve(ctx, c); err != nil {
		return refusal(err)
	}
	if c.Labels[clusteraddons.CNILabel] == "" {
		c.Labels[clusteraddons.CNILabel] = clusteraddons.KubevisorCNI
	}
	raw, err := json.Marshal(c)
	if err != nil {
		return admission.Errored(http.StatusInternalServerError, err)
	}
	return admission.PatchResponseFromRaw(req.Object.Raw, raw)
}

// Handle admits a created Cluster, or an update that changes its spec.
func (h *ClusterAdmission) Handle(ctx context.Context, req admission.Request) admission.Response {
	c := &clusterv1.Cluster{}
	if err := h.decoder.Decode(req, c); err != nil {
		return admission.Errored(http.StatusBadRequest, err)
	}
	if req.Operation == admissionv1.Update {
		old := &clusterv1.Cluster{}
		if err := h.decoder.DecodeRaw(req.OldObject, old); err != nil {
			return admission.Errored(http.StatusBadRequest, err)
		}
		if old.Generation == c.Generation && c.Generation != 0 {
			return admission.Allowed("")
		}
	}
	warnings, err := h.Validator.ValidateCluster(ctx, c)
	if err != nil {
		return refusal(err).WithWarnings(warnings...)
	}
	return admission.Allowed("").WithWarnings(warnings...)
}

// refusal turns a *tkg.RefusedError into a denial and anything else into
// an internal error.
func refusal(err error) admission.Response {
	var refused *tkg.RefusedError
	if errors.As(err, &refused) {
		return admission.Denied(refused.Error())
	}
	return admission.Errored(http.StatusInternalServerError, err)
}
