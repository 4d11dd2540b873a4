package tkr

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	runv1 "github.com/kubevisor/kubevisor/api/run/v1alpha3"
	"github.com/kubevisor/kubevisor/internal/ova"
)

func testRelease() Release {
	return Release{
		Kubernetes: "v1.36.3", Build: "kubevisor.1", ImageRepository: "kubevisor.local/k8s",
		EtcdTag: "3.6.8-0", CoreDNSTag: "v1.14.2", PauseTag: "3.10.2",
		OS:         OS{Type: "linux", Name: "debian", Version: "12", Arch: "amd64"},
		Components: map[string]string{"containerd": "1.6.20"},
	}
}

func TestNames(t *testing.T) {
	r := testRelease()
	for _, tc := range []struct{ what, got, want string }{
		{"Version", r.Version(), "v1.36.3+vmware.1-kubevisor.1"},
		{"KubernetesVersion", r.KubernetesVersion(), "v1.36.3+vmware.1"},
		{"Name", r.Name(), "v1.36.3---vmware.1-kubevisor.1"},
		{"OSImageName", r.OSImageName(), "v1.36.3---vmware.1-kubevisor.1-debian-12-amd64"},
		{"ImageTag", ImageTag(r.KubernetesVersion()), "v1.36.3_vmware.1"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %q, want %q", tc.what, tc.got, tc.want)
		}
	}
	if diff := cmp.Diff([]string{
		"kubevisor.local/k8s/kube-apiserver:v1.36.3",
		"kubevisor.local/k8s/kube-apiserver:v1.36.3_vmware.1",
		"kubevisor.local/k8s/kube-apiserver:v1.36.3_vmware.1-kubevisor.1",
	}, r.ImageNames()[KubeAPIServer]); diff != "" {
		t.Errorf("kube-apiserver names (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"kubevisor.local/k8s/etcd:3.6.8-0"}, r.ImageNames()[Etcd]); diff != "" {
		t.Errorf("etcd names (-want +got):\n%s", diff)
	}
	if got := r.KubeadmImages(); len(got) != 7 || got[4] != "kubevisor.local/k8s/coredns:v1.14.2" {
		t.Errorf("KubeadmImages = %v", got)
	}
}

func TestVersionLabels(t *testing.T) {
	for _, tc := range []struct {
		version string
		want    []string
	}{
		{"v1.36.3+vmware.1-kubevisor.1", []string{"v1", "v1.36", "v1.36.3", "v1.36.3---vmware", "v1.36.3---vmware.1",
			"v1.36.3---vmware.1-kubevisor", "v1.36.3---vmware.1-kubevisor.1"}},
		{"v1.36.3", []string{"v1", "v1.36", "v1.36.3"}},
	} {
		t.Run(tc.version, func(t *testing.T) {
			want := map[string]string{}
			for _, l := range tc.want {
				want[l] = ""
			}
			if diff := cmp.Diff(want, VersionLabels(tc.version)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*Release)
	}{
		{"version without v", func(r *Release) { r.Kubernetes = "1.36.3" }},
		{"version with build", func(r *Release) { r.Kubernetes = "v1.36.3+vmware.1" }},
		{"empty build", func(r *Release) { r.Build = "" }},
		{"build with plus", func(r *Release) { r.Build = "a+b" }},
		{"repository with tag", func(r *Release) { r.ImageRepository = "kubevisor.local/k8s:v1" }},
		{"no etcd tag", func(r *Release) { r.EtcdTag = "" }},
		{"no arch", func(r *Release) { r.OS.Arch = "" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := testRelease()
			tc.mutate(&r)
			if r.Validate() == nil {
				t.Error("Validate accepted it")
			}
		})
	}
	if err := testRelease().Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func metadata(props []ova.Property) map[string]string {
	info := ova.Info{Properties: props}
	return info.Metadata()
}

func TestPropertiesRoundTrip(t *testing.T) {
	r := testRelease()
	props, err := r.Properties("ob-kubevisor-v1.36.3")
	if err != nil {
		t.Fatal(err)
	}
	m := metadata(props)
	for k, want := range map[string]string{PropertyOSName: "debian", PropertyOSVersion: "12", PropertyOSType: "linux", PropertyOSArch: "amd64"} {
		if m[k] != want {
			t.Errorf("%s = %q, want %q", k, m[k], want)
		}
	}
	got, err := FromProperties(m)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r, got); diff != "" {
		t.Errorf("FromProperties (-want +got):\n%s", diff)
	}

	// Without kubevisor's own key, as from a VMware OVA: the distribution
	// JSON and the OS keys give the same release, less its components.
	delete(m, PropertyRelease)
	got, err = FromProperties(m)
	if err != nil {
		t.Fatal(err)
	}
	want := r
	want.Components = nil
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FromProperties from the distribution (-want +got):\n%s", diff)
	}

	tkr, osImages, err := Objects(m)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r.TanzuKubernetesRelease(), tkr); diff != "" {
		t.Errorf("embedded TKR (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]*runv1.OSImage{r.OSImage("ob-kubevisor-v1.36.3")}, osImages); diff != "" {
		t.Errorf("embedded OSImages (-want +got):\n%s", diff)
	}
}

func TestNotTKR(t *testing.T) {
	if _, err := FromProperties(map[string]string{"other": "x"}); err != ErrNotTKR {
		t.Errorf("FromProperties: %v, want ErrNotTKR", err)
	}
	if _, _, err := Objects(map[string]string{}); err != ErrNotTKR {
		t.Errorf("Objects: %v, want ErrNotTKR", err)
	}
}

func TestObjects(t *testing.T) {
	r := testRelease()
	tkr := r.TanzuKubernetesRelease()
	if tkr.Spec.Kubernetes.Etcd.ImageTag != "3.6.8-0" || tkr.Spec.OSImages[0].Name != r.OSImageName() {
		t.Errorf("TKR spec = %+v", tkr.Spec)
	}
	osi := r.OSImage("item")
	for k, want := range map[string]string{
		runv1.LabelOSName: "debian", runv1.LabelOSVersion: "12", runv1.LabelImageType: "ova",
		runv1.LabelTKR: r.Name(), "v1.36": "",
	} {
		if got, ok := osi.Labels[k]; !ok || got != want {
			t.Errorf("OSImage label %s = %q (set: %t), want %q", k, got, ok, want)
		}
	}
	if osi.Spec.Image.Ref["name"] != "item" || osi.Spec.KubernetesVersion != "v1.36.3+vmware.1" {
		t.Errorf("OSImage spec = %+v", osi.Spec)
	}
}
