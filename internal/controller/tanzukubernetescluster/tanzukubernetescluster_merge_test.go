package tanzukubernetescluster

import (
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
)

func TestMergeVariables(t *testing.T) {
	vars := func(s string) []clusterv1.ClusterVariable {
		var out []clusterv1.ClusterVariable
		for _, kv := range strings.Fields(s) {
			name, value, _ := strings.Cut(kv, "=")
			out = append(out, clusterv1.ClusterVariable{Name: name, Value: apiextensionsv1.JSON{Raw: []byte(value)}})
		}
		return out
	}
	render := func(vs []clusterv1.ClusterVariable) string {
		var parts []string
		for _, v := range vs {
			parts = append(parts, v.Name+"="+string(v.Value.Raw))
		}
		return strings.Join(parts, " ")
	}
	tests := []struct {
		name, current, desired, want string
	}{
		{name: "create", current: "", desired: `a="x" b=1`, want: `a="x" b=1`},
		{name: "unchanged", current: `a="x" b=1`, desired: `a="x" b=1`, want: `a="x" b=1`},
		{name: "current's order and bytes", current: `TKR_DATA={} b={"q":1,"p":2} a="x"`, desired: `a="x" b={"p":2,"q":1}`, want: `TKR_DATA={} b={"q":1,"p":2} a="x"`},
		{name: "changed value", current: `a="x" b=1`, desired: `a="y" b=1`, want: `a="y" b=1`},
		{name: "removed and added", current: `TKR_DATA={} a="x" b=1`, desired: `b=1 c=true`, want: `TKR_DATA={} b=1 c=true`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := render(mergeVariables(vars(tt.current), vars(tt.desired))); got != tt.want {
				t.Errorf("merge = %s, want %s", got, tt.want)
			}
		})
	}
}
