package library

import (
	"context"
	"fmt"
	"net/url"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The Supervisor publishes the URLs of its public endpoints in a ConfigMap
// that every authenticated user may read:
//
//	namespace kube-public, name kubevisor-endpoints,
//	data.https: "https://<host>:<port>", the HTTPS endpoint serving SSO
//	(/wcp/...) and the content library API (/library/...).
//
// Its certificate is signed by the Supervisor's CA, the CA of the admin
// kubeconfig.
const (
	EndpointsNamespace = "kube-public"
	EndpointsConfigMap = "kubevisor-endpoints"
	EndpointsHTTPSKey  = "https"
)

// PublicEndpoint reads the Supervisor's public HTTPS endpoint
// ("https://host:port") from the kubevisor-endpoints ConfigMap.
func PublicEndpoint(ctx context.Context, c client.Reader) (string, error) {
	cm := &corev1.ConfigMap{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: EndpointsNamespace, Name: EndpointsConfigMap}, cm); err != nil {
		if apierrors.IsNotFound(err) {
			return "", fmt.Errorf("the Supervisor does not publish its endpoints (ConfigMap %s/%s is missing): is it a kubevisor Supervisor, and fully started?", EndpointsNamespace, EndpointsConfigMap)
		}
		return "", fmt.Errorf("reading ConfigMap %s/%s: %w", EndpointsNamespace, EndpointsConfigMap, err)
	}
	v := cm.Data[EndpointsHTTPSKey]
	u, err := url.Parse(v)
	if v == "" || err != nil || u.Scheme != "https" || u.Host == "" {
		return "", fmt.Errorf("ConfigMap %s/%s: data.%s = %q is not an https://host:port URL", EndpointsNamespace, EndpointsConfigMap, EndpointsHTTPSKey, v)
	}
	return v, nil
}
