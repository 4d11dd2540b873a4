package webhook

import (
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

// ConvertPath is where the conversion webhook is served (controller-runtime
// registers it once a kind with a converter has a webhook).
const ConvertPath = "/convert"

// ConversionFor returns the CRD conversion stanza that sends conversion
// requests to this process's webhook server at url with caBundle.
func ConversionFor(url string, caBundle []byte) *apiextensionsv1.CustomResourceConversion {
	return &apiextensionsv1.CustomResourceConversion{
		Strategy: apiextensionsv1.WebhookConverter,
		Webhook: &apiextensionsv1.WebhookConversion{
			ConversionReviewVersions: []string{"v1"},
			ClientConfig: &apiextensionsv1.WebhookClientConfig{
				URL:      &url,
				CABundle: caBundle,
			},
		},
	}
}
