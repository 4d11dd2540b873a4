package webhook

import (
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
)

// Name of the webhook configurations kubevisor installs.
const ConfigurationName = "kubevisor"

// AdmissionWebhooks returns the validating and mutating webhook
// configurations for the admission webhooks this process serves, calling
// baseURL (https://127.0.0.1:<port>) and trusting caBundle. Either may be
// nil when there is no webhook of that kind.
func AdmissionWebhooks(baseURL string, caBundle []byte) (*admissionregistrationv1.ValidatingWebhookConfiguration, *admissionregistrationv1.MutatingWebhookConfiguration) {
	validating := []admissionregistrationv1.ValidatingWebhook{
		validatingWebhook("supervisornamespaces.kubevisor.io", baseURL+SupervisorNamespacePath, caBundle,
			"kubevisor.io", "v1alpha1", "supervisornamespaces", admissionregistrationv1.ClusterScope),
		validatingWebhook("virtualmachines.vmoperator.vmware.com", baseURL+VirtualMachinePath, caBundle,
			"vmoperator.vmware.com", "v1alpha3", "virtualmachines", admissionregistrationv1.NamespacedScope),
		validatingWebhook("tanzukubernetesclusters.run.tanzu.vmware.com", baseURL+TanzuKubernetesClusterPath, caBundle,
			"run.tanzu.vmware.com", "v1alpha3", "tanzukubernetesclusters", admissionregistrationv1.NamespacedScope),
		validatingWebhook("tkg.clusters.cluster.x-k8s.io", baseURL+ClusterValidatePath, caBundle,
			"cluster.x-k8s.io", "v1beta2", "clusters", admissionregistrationv1.NamespacedScope),
	}
	mutating := []admissionregistrationv1.MutatingWebhook{
		mutatingWebhook("tkr-resolver.clusters.cluster.x-k8s.io", baseURL+ClusterResolvePath, caBundle,
			"cluster.x-k8s.io", "v1beta2", "clusters", admissionregistrationv1.NamespacedScope),
	}

	var v *admissionregistrationv1.ValidatingWebhookConfiguration
	if len(validating) > 0 {
		v = &admissionregistrationv1.ValidatingWebhookConfiguration{Webhooks: validating}
		v.Name = ConfigurationName
	}
	var m *admissionregistrationv1.MutatingWebhookConfiguration
	if len(mutating) > 0 {
		m = &admissionregistrationv1.MutatingWebhookConfiguration{Webhooks: mutating}
		m.Name = ConfigurationName
	}
	return v, m
}

// validatingWebhook is a webhook of creates and updates of one resource,
// served at url: no side effects, admission/v1, failing closed after 10 s.
func validatingWebhook(name, url string, caBundle []byte, group, version, resource string, scope admissionregistrationv1.ScopeType) admissionregistrationv1.ValidatingWebhook {
	return admissionregistrationv1.ValidatingWebhook{
		Name:                    name,
		ClientConfig:            admissionregistrationv1.WebhookClientConfig{URL: ptrTo(url), CABundle: caBundle},
		SideEffects:             ptrTo(admissionregistrationv1.SideEffectClassNone),
		AdmissionReviewVersions: []string{"v1"},
		FailurePolicy:           ptrTo(admissionregistrationv1.Fail),
		TimeoutSeconds:          ptrTo[int32](10),
		Rules: []admissionregistrationv1.RuleWithOperations{{
			Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
			Rule: admissionregistrationv1.Rule{
				APIGroups:   []string{group},
				APIVersions: []string{version},
				Resources:   []string{resource},
				Scope:       ptrTo(scope),
			},
		}},
	}
}

// mutatingWebhook is validatingWebhook's mutating twin. Kubernetes calls it
// again when a later webhook changes the object.
func mutatingWebhook(name, url string, caBundle []byte, group, version, resource string, scope admissionregistrationv1.ScopeType) admissionregistrationv1.MutatingWebhook {
	v := validatingWebhook(name, url, caBundle, group, version, resource, scope)
	return admissionregistrationv1.MutatingWebhook{
		Name:                    v.Name,
		ClientConfig:            v.ClientConfig,
		SideEffects:             v.SideEffects,
		AdmissionReviewVersions: v.AdmissionReviewVersions,
		FailurePolicy:           v.FailurePolicy,
		TimeoutSeconds:          v.TimeoutSeconds,
		Rules:                   v.Rules,
		ReinvocationPolicy:      ptrTo(admissionregistrationv1.IfNeededReinvocationPolicy),
	}
}

func ptrTo[T any](v T) *T { return &v }
