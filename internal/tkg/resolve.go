package tkg

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/version"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	runv1 "github.com/kubevisor/kubevisor/api/run/v1alpha3"
)

const (
	// ResolveTKRAnnotation holds a label selector of TanzuKubernetesReleases
	// that narrows the resolution of a Cluster's version ("" selects all).
	ResolveTKRAnnotation = "run.tanzu.vmware.com/resolve-tkr"
	// ResolveOSImageAnnotation, on the control plane's or a machine
	// deployment's metadata, holds a label selector of OSImages, such as
	// "os-name=ubuntu".
	ResolveOSImageAnnotation = "run.tanzu.vmware.com/resolve-os-image"
	// TKRDataVariable is the Cluster variable the resolution injects.
	TKRDataVariable = "TKR_DATA"
)

// TKRData is the value of TKR_DATA: what the class's patches need of a
// release, keyed by Kubernetes version.
type TKRData map[string]TKRDataValue

// TKRDataValue is one release's entry of TKR_DATA.
type TKRDataValue struct {
	// KubernetesSpec is the release's spec.kubernetes.
	KubernetesSpec runv1.KubernetesSpec `json:"kubernetesSpec"`
	// OSImageRef is the chosen OSImage's spec.image.ref; "name" is the VM
	// image.
	OSImageRef map[string]string `json:"osImageRef"`
	// Labels name the release and describe the OS image.
	Labels map[string]string `json:"labels"`
}

// Resolution is a Cluster's release and node image.
type Resolution struct {
	// TKR is the chosen release.
	TKR *runv1.TanzuKubernetesRelease
	// OSImage is the chosen node image of the release.
	OSImage *runv1.OSImage
}

// KubernetesVersion is the version a Cluster's topology carries: the
// release's Kubernetes version without its build metadata
// (v1.36.3+vmware.1 becomes v1.36.3), because that is what the release's
// kubelets report and Cluster API requires a Machine's version and its
// Node's kubelet version to be the same.
func (r Resolution) KubernetesVersion() string {
	v, _, _ := strings.Cut(r.TKR.Spec.Kubernetes.Version, "+")
	return v
}

// Data is the TKR_DATA entry of the resolution.
func (r Resolution) Data() TKRDataValue {
	l := map[string]string{runv1.LabelTKR: r.TKR.Name, runv1.LabelOSImage: r.OSImage.Name}
	for _, k := range []string{runv1.LabelOSType, runv1.LabelOSName, runv1.LabelOSVersion, runv1.LabelOSArch, runv1.LabelImageType} {
		if v, ok := r.OSImage.Labels[k]; ok {
			l[k] = v
		}
	}
	return TKRDataValue{KubernetesSpec: r.TKR.Spec.Kubernetes, OSImageRef: r.OSImage.Spec.Image.Ref, Labels: l}
}

// Resolver picks TanzuKubernetesReleases for Clusters of the builtin class.
type Resolver struct {
	// Reader reads releases and OS images.
	Reader client.Reader
}

// IsBuiltinClass reports whether c is a topology Cluster of the builtin
// ClusterClass in its own namespace.
func IsBuiltinClass(c *clusterv1.Cluster) bool {
	t := c.Spec.Topology
	return t.ClassRef.Name == ClassName && (t.ClassRef.Namespace == "" || t.ClassRef.Namespace == c.Namespace)
}

// Resolve sets c's topology version to the Kubernetes version of the
// release it names, labels c with the release, and injects TKR_DATA. The
// version may be a TKR name (v1.36.3---vmware.1-kubevisor.1), a TKR
// version (v1.36.3+vmware.1-kubevisor.1) or a prefix of one (v1.36.3,
// v1.36): the newest Ready and Compatible release that matches wins. A
// Cluster already labelled with a release whose Kubernetes version is the
// topology's keeps it. Errors are *RefusedError when the request must be
// changed.
func (r *Resolver) Resolve(ctx context.Context, c *clusterv1.Cluster) (Resolution, error) {
	t := &c.Spec.Topology
	if t.Version == "" {
		return Resolution{}, &RefusedError{Field: "spec.topology.version", Message: "is required: name a TanzuKubernetesRelease or a Kubernetes version (kubectl get tkr)"}
	}
	var list runv1.TanzuKubernetesReleaseList
	if err := r.Reader.List(ctx, &list); err != nil {
		return Resolution{}, fmt.Errorf("listing TanzuKubernetesReleases: %w", err)
	}
	selector := labels.Everything()
	if s := c.Annotations[ResolveTKRAnnotation]; s != "" {
		sel, err := labels.Parse(s)
		if err != nil {
			return Resolution{}, &RefusedError{Field: "metadata.annotations[" + ResolveTKRAnnotation + "]", Message: fmt.Sprintf("is not a label selector: %v", err)}
		}
		selector = sel
	}
	tkr, err := pick(list.Items, t.Version, c.Labels[runv1.LabelTKR], selector)
	if err != nil {
		return Resolution{}, err
	}
	osImage, err := r.osImage(ctx, tkr, t.ControlPlane.Metadata.Annotations[ResolveOSImageAnnotation])
	if err != nil {
		return Resolution{}, err
	}
	res := Resolution{TKR: tkr, OSImage: osImage}

	// Entries of earlier releases stay, for machine deployments that still
	// run them (they upgrade after the control plane): the newest
	// keptTKRData of them, so that the value is the same however often the
	// Cluster is resolved.
	var old TKRData
	for _, v := range t.Variables {
		if v.Name == TKRDataVariable {
			_ = json.Unmarshal(v.Value.Raw, &old)
		}
	}
	data := TKRData{res.KubernetesVersion(): res.Data()}
	var earlier []string
	for k := range old {
		if k != res.KubernetesVersion() {
			earlier = append(earlier, k)
		}
	}
	sort.Slice(earlier, func(i, j int) bool { return versionLess(earlier[j], earlier[i]) })
	for _, k := range earlier[:min(len(earlier), keptTKRData)] {
		data[k] = old[k]
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return Resolution{}, err
	}
	setVariable(&t.Variables, TKRDataVariable, raw)
	t.Version = res.KubernetesVersion()
	if c.Labels == nil {
		c.Labels = map[string]string{}
	}
	c.Labels[runv1.LabelTKR] = tkr.Name
	return res, nil
}

// keptTKRData is how many entries of earlier releases TKR_DATA keeps.
const keptTKRData = 2

// versionLess orders Kubernetes versions, falling back to their text.
func versionLess(a, b string) bool {
	va, errA := version.ParseGeneric(a)
	vb, errB := version.ParseGeneric(b)
	if errA == nil && errB == nil && !va.EqualTo(vb) {
		return va.LessThan(vb)
	}
	return a < b
}

// pick chooses the release for want.
func pick(items []runv1.TanzuKubernetesRelease, want, current string, selector labels.Selector) (*runv1.TanzuKubernetesRelease, error) {
	key := strings.ReplaceAll(strings.TrimSpace(want), "+", "---")
	if !strings.HasPrefix(key, "v") {
		key = "v" + key
	}
	var matches, unusable []*runv1.TanzuKubernetesRelease
	for i := range items {
		tkr := &items[i]
		if _, ok := tkr.Labels[key]; !ok && tkr.Name != key {
			continue
		}
		if !selector.Matches(labels.Set(tkr.Labels)) {
			continue
		}
		if tkr.Name == current && (Resolution{TKR: tkr}).KubernetesVersion() == want && usable(tkr) == "" {
			return tkr, nil
		}
		if usable(tkr) != "" {
			unusable = append(unusable, tkr)
			continue
		}
		matches = append(matches, tkr)
	}
	if len(matches) == 0 {
		if len(unusable) > 0 {
			return nil, &RefusedError{Field: "spec.topology.version", Message: fmt.Sprintf("TanzuKubernetesRelease %s cannot be used: %s (kubectl get tkr lists the releases)", unusable[0].Name, usable(unusable[0]))}
		}
		var names []string
		for _, tkr := range items {
			if usable(&tkr) == "" {
				names = append(names, tkr.Name)
			}
		}
		sort.Strings(names)
		avail := "none is Ready and Compatible"
		if len(names) > 0 {
			avail = "available: " + strings.Join(names, ", ")
		}
		return nil, &RefusedError{Field: "spec.topology.version", Message: fmt.Sprintf("no TanzuKubernetesRelease matches %q (%s; kubectl get tkr)", want, avail)}
	}
	sort.Slice(matches, func(i, j int) bool { return newer(matches[i], matches[j]) })
	return matches[0], nil
}

// usable says why a release cannot be used, or "" when it can.
func usable(tkr *runv1.TanzuKubernetesRelease) string {
	for _, l := range []string{runv1.LabelDeactivated, runv1.LabelInvalid, runv1.LabelIncompatible} {
		if _, ok := tkr.Labels[l]; ok {
			return "it is labelled " + l
		}
	}
	for _, t := range []string{runv1.ReadyCondition, runv1.CompatibleCondition} {
		c := meta.FindStatusCondition(tkr.Status.Conditions, t)
		if c == nil || c.Status != metav1.ConditionTrue {
			msg := "its " + t + " condition is not True"
			if c != nil && c.Message != "" {
				msg += ": " + c.Message
			}
			return msg
		}
	}
	return ""
}

// newer orders releases by version, newest first.
func newer(a, b *runv1.TanzuKubernetesRelease) bool {
	va, errA := version.ParseGeneric(a.Spec.Version)
	vb, errB := version.ParseGeneric(b.Spec.Version)
	if errA == nil && errB == nil && !va.EqualTo(vb) {
		return vb.LessThan(va)
	}
	return a.Spec.Version > b.Spec.Version
}

// osImage picks the release's OS image that matches selector ("" matches
// any).
func (r *Resolver) osImage(ctx context.Context, tkr *runv1.TanzuKubernetesRelease, selector string) (*runv1.OSImage, error) {
	sel := labels.Everything()
	if selector != "" {
		s, err := labels.Parse(selector)
		if err != nil {
			return nil, &RefusedError{Field: "spec.topology.controlPlane.metadata.annotations[" + ResolveOSImageAnnotation + "]", Message: fmt.Sprintf("is not a label selector: %v", err)}
		}
		sel = s
	}
	var seen []string
	for _, ref := range tkr.Spec.OSImages {
		osi := &runv1.OSImage{}
		if err := r.Reader.Get(ctx, client.ObjectKey{Name: ref.Name}, osi); err != nil {
			if client.IgnoreNotFound(err) == nil {
				continue
			}
			return nil, fmt.Errorf("reading OSImage %s: %w", ref.Name, err)
		}
		seen = append(seen, fmt.Sprintf("%s (os-name=%s)", osi.Name, osi.Labels[runv1.LabelOSName]))
		if sel.Matches(labels.Set(osi.Labels)) && osi.Spec.Image.Ref["name"] != "" {
			return osi, nil
		}
	}
	if len(seen) == 0 {
		return nil, &RefusedError{Field: "spec.topology.version", Message: fmt.Sprintf("TanzuKubernetesRelease %s has no OSImage (kubectl get osimages)", tkr.Name)}
	}
	return nil, &RefusedError{Field: "spec.topology.controlPlane.metadata.annotations[" + ResolveOSImageAnnotation + "]",
		Message: fmt.Sprintf("%q matches no OSImage of TanzuKubernetesRelease %s; it has %s", selector, tkr.Name, strings.Join(seen, ", "))}
}

// setVariable sets the variable name to raw in vars.
func setVariable(vars *[]clusterv1.ClusterVariable, name string, raw []byte) {
	for i := range *vars {
		if (*vars)[i].Name == name {
			(*vars)[i].Value = apiextensionsv1.JSON{Raw: raw}
			return
		}
	}
	*vars = append(*vars, clusterv1.ClusterVariable{Name: name, Value: apiextensionsv1.JSON{Raw: raw}})
}

// Updates lists, oldest first, the versions (spec.version) of the releases
// a cluster on current can move to: usable (Ready, Compatible, not
// deactivated) and not being deleted, newer than current, and at most one
// Kubernetes minor version ahead, since a control plane moves one minor
// version at a time. It is what a cluster's UpdatesAvailable condition
// names.
func Updates(current *runv1.TanzuKubernetesRelease, all []runv1.TanzuKubernetesRelease) ([]string, error) {
	cur, err := version.ParseGeneric(current.Spec.Kubernetes.Version)
	if err != nil {
		return nil, fmt.Errorf("TanzuKubernetesRelease %s: Kubernetes version %q: %w", current.Name, current.Spec.Kubernetes.Version, err)
	}
	var found []*runv1.TanzuKubernetesRelease
	for i := range all {
		tkr := &all[i]
		if tkr.Name == current.Name || !tkr.DeletionTimestamp.IsZero() || usable(tkr) != "" || !newer(tkr, current) {
			continue
		}
		v, err := version.ParseGeneric(tkr.Spec.Kubernetes.Version)
		if err != nil || v.Major() != cur.Major() || v.Minor() > cur.Minor()+1 || v.LessThan(cur) {
			continue
		}
		found = append(found, tkr)
	}
	sort.Slice(found, func(i, j int) bool { return newer(found[j], found[i]) })
	out := make([]string, 0, len(found))
	for _, tkr := range found {
		out = append(out, tkr.Spec.Version)
	}
	return out, nil
}

// UpdatesAvailable is the UpdatesAvailable condition, as vSphere sets it,
// of a cluster on current or of the release current itself: True with the
// versions Updates lists, in brackets and separated by spaces; False
// (AlreadyUpToDate) when it lists none; Unknown (CannotParseTKR) when
// current's Kubernetes version is not one. The caller sets
// ObservedGeneration.
func UpdatesAvailable(current *runv1.TanzuKubernetesRelease, all []runv1.TanzuKubernetesRelease) metav1.Condition {
	c := metav1.Condition{Type: runv1.UpdatesAvailableCondition}
	updates, err := Updates(current, all)
	switch {
	case err != nil:
		c.Status, c.Reason, c.Message = metav1.ConditionUnknown, runv1.CannotParseTKRReason, err.Error()
	case len(updates) == 0:
		c.Status, c.Reason = metav1.ConditionFalse, runv1.AlreadyUpToDateReason
	default:
		c.Status, c.Reason, c.Message = metav1.ConditionTrue, runv1.UpdatesAvailableCondition, "["+strings.Join(updates, " ")+"]"
	}
	return c
}
