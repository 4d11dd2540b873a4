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
	var validating []admissionregistrationv1.ValidatingWebhook
	var mutating []admissionregistrationv1.MutatingWebhook
	_ = baseURL
	_ = caBundle

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
