package supervisor

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// EndpointsConfigMap is where clients find the Supervisor's public HTTPS
// endpoint (SSO login, content library upload and publication), readable
// by every authenticated user.
const (
	EndpointsNamespace = "kube-public"
	EndpointsName      = "kubevisor-endpoints"
)

// endpointsConfigMap returns the ConfigMap publishing url and the Role and
// RoleBinding that let every authenticated user read it.
func endpointsConfigMap(url string) []*unstructured.Unstructured {
	cm := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": EndpointsName, "namespace": EndpointsNamespace},
		"data":     map[string]any{"https": url},
	}}
	role := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
		"metadata": map[string]any{"name": EndpointsName, "namespace": EndpointsNamespace},
		"rules": []any{map[string]any{
			"apiGroups": []any{""}, "resources": []any{"configmaps"}, "resourceNames": []any{EndpointsName}, "verbs": []any{"get"},
		}},
	}}
	binding := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
		"metadata": map[string]any{"name": EndpointsName, "namespace": EndpointsNamespace},
		"roleRef":  map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": EndpointsName},
		"subjects": []any{map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:authenticated"}},
	}}
	return []*unstructured.Unstructured{cm, role, binding}
}
