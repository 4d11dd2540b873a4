package webhook

import (
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"

	kubevisorv1 "github.com/kubevisor/kubevisor/api/kubevisor/v1alpha1"
)

func TestSupervisorNamespaceReferences(t *testing.T) {
	spec := func(classes []string, policies []string, libraries []string) *kubevisorv1.SupervisorNamespace {
		sn := &kubevisorv1.SupervisorNamespace{}
		sn.Name = "team-a"
		sn.Spec.VMClasses = classes
		for _, p := range policies {
			limit := resource.MustParse("1Gi")
			sn.Spec.StorageClasses = append(sn.Spec.StorageClasses, kubevisorv1.StorageClassAssignment{Name: p, Limit: &limit})
		}
		sn.Spec.ContentLibraries = libraries
		return sn
	}
	have := existingObjects{
		classes:   []string{"best-effort-small", "guaranteed-large"},
		policies:  []string{"gold"},
		libraries: []string{"tkr"},
	}
	tests := []struct {
		name    string
		sn, old *kubevisorv1.SupervisorNamespace
		want    []string
	}{
		{name: "nothing bound", sn: spec(nil, nil, nil)},
		{name: "all exist", sn: spec([]string{"best-effort-small", "guaranteed-large"}, []string{"gold"}, []string{"tkr"})},
		{
			name: "missing class names the field and how to list classes",
			sn:   spec([]string{"best-effort-small", "huge"}, nil, nil),
			want: []string{`spec.vmClasses[1]: ClusterVirtualMachineClass "huge" does not exist (kubectl get clustervirtualmachineclasses)`},
		},
		{
			name: "every missing reference is named",
			sn:   spec([]string{"huge"}, []string{"gold", "nope"}, []string{"other"}),
			want: []string{
				`spec.vmClasses[0]: ClusterVirtualMachineClass "huge" does not exist (kubectl get clustervirtualmachineclasses)`,
				`spec.storageClasses[1].name: StoragePolicy "nope" does not exist (kubectl get storagepolicies)`,
				`spec.contentLibraries[0]: ClusterContentLibrary "other" does not exist (kubectl get clustercontentlibraries)`,
			},
		},
		{
			name: "update checks only what it adds",
			old:  spec([]string{"deleted-since"}, []string{"gone"}, nil),
			sn:   spec([]string{"deleted-since", "huge"}, []string{"gone"}, nil),
			want: []string{`spec.vmClasses[1]: ClusterVirtualMachineClass "huge" does not exist (kubectl get clustervirtualmachineclasses)`},
		},
		{
			name: "update that adds nothing passes",
			old:  spec([]string{"deleted-since"}, nil, []string{"gone"}),
			sn:   spec([]string{"deleted-since"}, nil, []string{"gone"}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			refs := newReferences(tt.sn, tt.old)
			got := refs.missing(have)
			if !slices.Equal(got, tt.want) {
				t.Errorf("missing =\n%q\nwant\n%q", got, tt.want)
			}
			if refs.empty() && len(tt.want) > 0 {
				t.Errorf("empty() with missing references")
			}
		})
	}
}
