package oidcprovider

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	kubevisorv1alpha1 "github.com/kubevisor/kubevisor/api/kubevisor/v1alpha1"
	"github.com/kubevisor/kubevisor/internal/sso/authnconfig"
)

var _ reconcile.Reconciler = &Reconciler{}

// Reconciler writes the authentication configuration. All providers go into
// one file, so every event reconciles the whole set under one key.
type Reconciler struct {
	Client client.Client
	// SSO is the Supervisor's own issuer; it always comes first.
	SSO authnconfig.Issuer
	// File is the AuthenticationConfiguration the API server reads.
	File string
}

// SetupWithManager registers the controller.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named("oidcprovider").
		Watches(&kubevisorv1alpha1.OIDCProvider{}, handler.EnqueueRequestsFromMapFunc(func(context.Context, client.Object) []reconcile.Request {
			return []reconcile.Request{{}}
		})).
		Complete(r)
}

// Reconcile renders every provider into the file and reports each one's
// state on its Ready condition.
func (r *Reconciler) Reconcile(ctx context.Context, _ ctrl.Request) (ctrl.Result, error) {
	list := &kubevisorv1alpha1.OIDCProviderList{}
	if err := r.Client.List(ctx, list); err != nil {
		return ctrl.Result{}, err
	}
	providers := slices.DeleteFunc(list.Items, func(p kubevisorv1alpha1.OIDCProvider) bool { return p.DeletionTimestamp != nil })
	slices.SortFunc(providers, func(a, b kubevisorv1alpha1.OIDCProvider) int { return strings.Compare(a.Name, b.Name) })

	issuers := []authnconfig.Issuer{r.SSO}
	conflicts := map[string]string{}
	seen := map[string]string{r.SSO.URL: "the Supervisor's own SSO issuer"}
	for _, p := range providers {
		iss := IssuerFor(p)
		if other, dup := seen[iss.URL]; dup {
			conflicts[p.Name] = fmt.Sprintf("issuer %s is already configured by %s", iss.URL, other)
			continue
		}
		if iss.UsernamePrefix == r.SSO.UsernamePrefix {
			conflicts[p.Name] = fmt.Sprintf("usernamePrefix %q is reserved for the Supervisor's SSO users; choose another", iss.UsernamePrefix)
			continue
		}
		seen[iss.URL] = "OIDCProvider " + p.Name
		issuers = append(issuers, iss)
	}
	if _, err := authnconfig.Write(r.File, issuers); err != nil {
		return ctrl.Result{}, fmt.Errorf("writing %s: %w", r.File, err)
	}

	for i := range providers {
		p := &providers[i]
		cond := readyCondition(p.Generation, conflicts[p.Name])
		if c := meta.FindStatusCondition(p.Status.Conditions, cond.Type); c != nil &&
			c.Status == cond.Status && c.Reason == cond.Reason && c.Message == cond.Message && c.ObservedGeneration == cond.ObservedGeneration {
			continue
		}
		base := p.DeepCopy()
		meta.SetStatusCondition(&p.Status.Conditions, cond)
		if err := r.Client.Status().Patch(ctx, p, client.MergeFrom(base)); err != nil {
			return ctrl.Result{}, fmt.Errorf("updating status of OIDCProvider %s: %w", p.Name, err)
		}
	}
	return ctrl.Result{}, nil
}

// IssuerFor maps a provider to the API server's JWT authenticator settings.
func IssuerFor(p kubevisorv1alpha1.OIDCProvider) authnconfig.Issuer {
	prefix := p.Spec.UsernamePrefix
	if prefix == "" {
		prefix = "oidc:"
	}
	if prefix == "-" { // kube-apiserver's convention for "no prefix"
		prefix = ""
	}
	groupsPrefix := p.Spec.GroupsPrefix
	if groupsPrefix == "" {
		groupsPrefix = prefix
	}
	usernameClaim := p.Spec.UsernameClaim
	if usernameClaim == "" {
		usernameClaim = "sub"
	}
	return authnconfig.Issuer{
		URL:                  p.Spec.IssuerURL,
		CertificateAuthority: p.Spec.CertificateAuthority,
		Audience:             p.Spec.ClientID,
		UsernameClaim:        usernameClaim,
		GroupsClaim:          p.Spec.GroupsClaim,
		UsernamePrefix:       prefix,
		GroupsPrefix:         groupsPrefix,
	}
}

func readyCondition(generation int64, conflict string) metav1.Condition {
	if conflict != "" {
		return metav1.Condition{Type: kubevisorv1alpha1.ReadyCondition, Status: metav1.ConditionFalse, Reason: kubevisorv1alpha1.IssuerConflictReason, Message: conflict, ObservedGeneration: generation}
	}
	return metav1.Condition{Type: kubevisorv1alpha1.ReadyCondition, Status: metav1.ConditionTrue, Reason: kubevisorv1alpha1.IssuerConfiguredReason,
		Message: "the API server trusts tokens from this issuer", ObservedGeneration: generation}
}
