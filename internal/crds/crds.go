package crds

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

	"github.com/kubevisor/kubevisor/internal/apply"
)

var crdResource = apiextensionsv1.SchemeGroupVersion.WithResource("customresourcedefinitions")

// Parse decodes CRD manifests.
func Parse(docs [][]byte) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	out := make([]*apiextensionsv1.CustomResourceDefinition, 0, len(docs))
	for _, d := range docs {
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := yaml.UnmarshalStrict(d, crd); err != nil {
			return nil, fmt.Errorf("decoding CRD: %w", err)
		}
		if crd.Kind != "CustomResourceDefinition" || crd.Name == "" {
			return nil, fmt.Errorf("decoding CRD: not a named CustomResourceDefinition (kind %q)", crd.Kind)
		}
		out = append(out, crd)
	}
	return out, nil
}

// DefinitionAnnotation records on each CRD the SHA-256 of the definition
// kubevisor last applied to it, so that a start whose definitions have not
// changed applies nothing: applying 44 CRDs, some of them hundreds of
// kilobytes, costs the API server seconds.
const DefinitionAnnotation = "kubevisor.io/definition-sha256"

// Install applies every CRD whose definition differs from the one last
// applied (or that is not established), and waits until those are
// established.
//
// The applies run a few at a time: each is a large request whose cost is
// mostly the API server's own (decoding, validating, storing the CRD), and
// on a cold start they share the machine with the API server's bootstrap.
// Establishment is then followed on one watch, from before the applies,
// instead of reading each (often hundreds of kilobytes) CRD again and again.
func Install(ctx context.Context, client dynamic.Interface, crds []*apiextensionsv1.CustomResourceDefinition) error {
	list, err := client.Resource(crdResource).List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("listing CRDs: %w", err)
	}
	have := map[string]*unstructured.Unstructured{}
	for i := range list.Items {
		have[list.Items[i].GetName()] = &list.Items[i]
	}
	var todo []*unstructured.Unstructured
	for _, crd := range crds {
		obj, err := toApply(crd)
		if err != nil {
			return err
		}
		sum, err := digest(obj)
		if err != nil {
			return err
		}
		ann := obj.GetAnnotations()
		if ann == nil {
			ann = map[string]string{}
		}
		ann[DefinitionAnnotation] = sum
		obj.SetAnnotations(ann)
		if h := have[crd.Name]; h != nil && h.GetAnnotations()[DefinitionAnnotation] == sum {
			// Unchanged and established: nothing to do. Refused names are
			// reported after the apply below, which answers with them.
			if done, _, err := established(h); err == nil && done {
				continue
			}
		}
		todo = append(todo, obj)
	}
	if len(todo) == 0 {
		return nil
	}
	// Each apply answers with the CRD as it is now. One already
	// established, or whose names were refused, may change no more (an
	// apply that changes nothing writes nothing), so the watch below would
	// not hear of it: it is settled here.
	applied := make([]*unstructured.Unstructured, len(todo))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(applyConcurrency)
	for i, obj := range todo {
		g.Go(func() error {
			u, err := client.Resource(crdResource).Apply(gctx, obj.GetName(), obj, metav1.ApplyOptions{FieldManager: apply.FieldManager, Force: true})
			if err != nil {
				return fmt.Errorf("applying CRD %s: %w", obj.GetName(), err)
			}
			applied[i] = u
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	var pending []string
	for _, u := range applied {
		done, _, err := established(u)
		if err != nil {
			return err
		}
		if !done {
			pending = append(pending, u.GetName())
		}
	}
	if len(pending) == 0 {
		return nil
	}
	return waitEstablished(ctx, client, list.GetResourceVersion(), pending)
}

// applyConcurrency is how many CRD applies are in flight at once.
const applyConcurrency = 4

// establishTimeout bounds the wait for applied CRDs to be established.
var establishTimeout = 60 * time.Second

// digest is the SHA-256 of obj's JSON (encoding/json sorts map keys).
func digest(obj *unstructured.Unstructured) (string, error) {
	b, err := json.Marshal(obj.Object)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

func toApply(crd *apiextensionsv1.CustomResourceDefinition) (*unstructured.Unstructured, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(crd)
	if err != nil {
		return nil, fmt.Errorf("converting CRD %s: %w", crd.Name, err)
	}
	delete(m, "status")
	if md, ok := m["metadata"].(map[string]any); ok {
		delete(md, "creationTimestamp")
	}
	u := &unstructured.Unstructured{Object: m}
	u.SetAPIVersion(apiextensionsv1.SchemeGroupVersion.String())
	u.SetKind("CustomResourceDefinition")
	return u, nil
}

// waitEstablished waits until every CRD in names is established, following
// the changes to CRDs since resourceVersion on one watch. If the watch
// cannot be had or ends early (its resource version expired, say), it reads
// the CRDs still pending instead.
func waitEstablished(ctx context.Context, client dynamic.Interface, resourceVersion string, names []string) error {
	ctx, cancel := context.WithTimeout(ctx, establishTimeout)
	defer cancel()
	state := map[string]string{}
	for _, n := range names {
		state[n] = "not yet established"
	}
	w, err := client.Resource(crdResource).Watch(ctx, metav1.ListOptions{ResourceVersion: resourceVersion})
	if err == nil {
		defer w.Stop()
	follow:
		for len(state) > 0 {
			select {
			case <-ctx.Done():
				return fmt.Errorf("waiting for CRDs to be established: %s: %w", describe(state), ctx.Err())
			case ev, ok := <-w.ResultChan():
				if !ok || ev.Type == watch.Error {
					break follow
				}
				u, isU := ev.Object.(*unstructured.Unstructured)
				if !isU {
					continue
				}
				if _, waiting := state[u.GetName()]; !waiting {
					continue
				}
				done, why, err := established(u)
				if err != nil {
					return err
				}
				if done {
					delete(state, u.GetName())
				} else {
					state[u.GetName()] = why
				}
			}
		}
	}
	for _, name := range names {
		if _, waiting := state[name]; waiting {
			if err := pollEstablished(ctx, client, name); err != nil {
				return err
			}
		}
	}
	return nil
}

// describe lists the pending CRDs with what is known of each, in name order.
func describe(state map[string]string) string {
	names := make([]string, 0, len(state))
	for n := range state {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, 0, len(names))
	for _, n := range names {
		parts = append(parts, n+" ("+state[n]+")")
	}
	return strings.Join(parts, ", ")
}

// established reports whether a CRD read from the API server is
// established and, when it is not, what its conditions say. It fails if the
// CRD's names were refused.
func established(u *unstructured.Unstructured) (bool, string, error) {
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, crd); err != nil {
		return false, "", fmt.Errorf("reading CRD %s: %w", u.GetName(), err)
	}
	why := "no Established condition yet"
	for _, c := range crd.Status.Conditions {
		switch {
		case c.Type == apiextensionsv1.NamesAccepted && c.Status == apiextensionsv1.ConditionFalse:
			return false, "", fmt.Errorf("CRD %s: names not accepted: %s", crd.Name, c.Message)
		case c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue:
			return true, "", nil
		case c.Type == apiextensionsv1.Established:
			why = fmt.Sprintf("Established %s: %s", c.Status, c.Reason)
		}
	}
	return false, why, nil
}

// pollEstablished reads one CRD until it is established.
func pollEstablished(ctx context.Context, client dynamic.Interface, name string) error {
	last := "not yet established"
	err := wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		u, err := client.Resource(crdResource).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			last = err.Error()
			return false, nil
		}
		done, why, err := established(u)
		last = why
		return done, err
	})
	if err != nil {
		return fmt.Errorf("waiting for CRD %s (%s): %w", name, last, err)
	}
	return nil
}

// DropOlderDescriptions removes the field descriptions from the schemas of
// crd's versions other than its storage version. Cluster API's CRDs carry
// the full documentation in both v1beta1 and v1beta2; the descriptions are
// two thirds of their bytes, and the API server encodes, stores and keeps
// every CRD whole several times over (on create and on each status
// condition its controllers set, in its informers and OpenAPI specs).
// Without the older versions' copies the CRDs are 30% smaller; kubectl
// explain still documents every field of the storage (preferred) version.
func DropOlderDescriptions(crd *apiextensionsv1.CustomResourceDefinition) {
	for i := range crd.Spec.Versions {
		v := &crd.Spec.Versions[i]
		if v.Storage || v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
			continue
		}
		dropDescriptions(v.Schema.OpenAPIV3Schema)
	}
}

func dropDescriptions(p *apiextensionsv1.JSONSchemaProps) {
	if p == nil {
		return
	}
	p.Description = ""
	for k, v := range p.Properties {
		dropDescriptions(&v)
		p.Properties[k] = v
	}
	for k, v := range p.PatternProperties {
		dropDescriptions(&v)
		p.PatternProperties[k] = v
	}
	for k, v := range p.Definitions {
		dropDescriptions(&v)
		p.Definitions[k] = v
	}
	if p.Items != nil {
		dropDescriptions(p.Items.Schema)
		for i := range p.Items.JSONSchemas {
			dropDescriptions(&p.Items.JSONSchemas[i])
		}
	}
	if p.AdditionalProperties != nil {
		dropDescriptions(p.AdditionalProperties.Schema)
	}
	if p.AdditionalItems != nil {
		dropDescriptions(p.AdditionalItems.Schema)
	}
	for _, list := range [][]apiextensionsv1.JSONSchemaProps{p.AllOf, p.OneOf, p.AnyOf} {
		for i := range list {
			dropDescriptions(&list[i])
		}
	}
	dropDescriptions(p.Not)
}
