package crds

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apiextensionsclientv1 "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset/typed/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/yaml"

	"github.com/kubevisor/kubevisor/internal/apply"
)

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
// kubevisor last wrote to it, so that a start whose definitions have not
// changed writes nothing: writing 44 CRDs, some of them hundreds of
// kilobytes, costs the API server seconds.
const DefinitionAnnotation = "kubevisor.io/definition-sha256"

// Install creates the CRDs that do not exist, updates those whose definition
// differs from the one kubevisor last wrote (or that are not established),
// and waits until they are established.
//
// kubevisor owns its CRDs' specs: an update replaces the spec whole, so a
// field dropped from a definition is dropped from the CRD, and keeps the
// CRD's other labels and annotations. (Creates and updates are plain writes,
// not server-side applies: an apply body is parsed as YAML, which for
// megabytes of schema costs the API server a third of a second.)
//
// The writes run a few at a time: each is a large request whose cost is
// mostly the API server's own (decoding, validating, storing the CRD), and
// on a cold start they share the machine with the API server's bootstrap.
// kubevisor then settles the status of what it wrote where the API
// server's controllers would be slow to (see settle). Establishment is then followed on one watch,
// from before the writes, instead of reading each CRD again and again.
func Install(ctx context.Context, client apiextensionsclient.Interface, crds []*apiextensionsv1.CustomResourceDefinition) error {
	api := client.ApiextensionsV1().CustomResourceDefinitions()
	list, err := api.List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("listing CRDs: %w", err)
	}
	have := map[string]*apiextensionsv1.CustomResourceDefinition{}
	for i := range list.Items {
		have[list.Items[i].Name] = &list.Items[i]
	}
	claims := newNameClaims(list.Items, crds)
	type write struct {
		want, have *apiextensionsv1.CustomResourceDefinition
	}
	var todo []write
	for _, crd := range crds {
		want, err := withDigest(crd)
		if err != nil {
			return err
		}
		h := have[crd.Name]
		if h != nil && h.Annotations[DefinitionAnnotation] == want.Annotations[DefinitionAnnotation] {
			// Unchanged and established: nothing to do. Refused names are
			// reported after the update below, which answers with them.
			if done, _, err := established(h); err == nil && done {
				continue
			}
		}
		todo = append(todo, write{want, h})
	}
	if len(todo) == 0 {
		return nil
	}
	// Each write answers with the CRD as it is now. One already
	// established, or whose names were refused, may change no more (an
	// update that changes nothing writes nothing), so the watch below would
	// not hear of it: it is settled here.
	written := make([]*apiextensionsv1.CustomResourceDefinition, len(todo))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(writeConcurrency)
	for i, w := range todo {
		g.Go(func() error {
			crd, err := createOrUpdate(gctx, api, w.want, w.have)
			if err != nil {
				return err
			}
			written[i], err = settle(gctx, api, crd, claims)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	var pending []string
	for _, crd := range written {
		done, _, err := established(crd)
		if err != nil {
			return err
		}
		if !done {
			pending = append(pending, crd.Name)
		}
	}
	if len(pending) == 0 {
		return nil
	}
	return waitEstablished(ctx, api, list.ResourceVersion, pending)
}

// writeConcurrency is how many CRD writes are in flight at once. Measured
// on a 2-core cold start, in interleaved runs: 8 readied the Supervisor in
// a median of 5.2 s, 4 in 5.6 s and all 44 at once in 5.4 s (the machine's
// noise is about half a second).
const writeConcurrency = 8

// establishTimeout bounds the wait for written CRDs to be established.
var establishTimeout = 60 * time.Second

// withDigest returns a copy of crd ready to be written: without status, and
// annotated with the digest of its definition.
func withDigest(crd *apiextensionsv1.CustomResourceDefinition) (*apiextensionsv1.CustomResourceDefinition, error) {
	want := crd.DeepCopy()
	want.Status = apiextensionsv1.CustomResourceDefinitionStatus{}
	want.CreationTimestamp = metav1.Time{}
	want.ResourceVersion = ""
	if want.Annotations != nil {
		delete(want.Annotations, DefinitionAnnotation)
	}
	sum, err := digest(want)
	if err != nil {
		return nil, err
	}
	if want.Annotations == nil {
		want.Annotations = map[string]string{}
	}
	want.Annotations[DefinitionAnnotation] = sum
	return want, nil
}

// digest is the SHA-256 of the definition's JSON, as an unstructured object
// (encoding/json sorts map keys, so the digest does not depend on the
// order the definition was built in).
func digest(crd *apiextensionsv1.CustomResourceDefinition) (string, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(crd)
	if err != nil {
		return "", fmt.Errorf("converting CRD %s: %w", crd.Name, err)
	}
	delete(m, "status")
	if md, ok := m["metadata"].(map[string]any); ok {
		delete(md, "creationTimestamp")
	}
	m["apiVersion"] = apiextensionsv1.SchemeGroupVersion.String()
	m["kind"] = "CustomResourceDefinition"
	b, err := json.Marshal(m)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// createOrUpdate creates want when cur is nil, and otherwise updates cur
// to it. If another Supervisor sharing the datastore created it meanwhile,
// that one is updated.
func createOrUpdate(ctx context.Context, api crdInterface, want, cur *apiextensionsv1.CustomResourceDefinition) (*apiextensionsv1.CustomResourceDefinition, error) {
	if cur == nil {
		created, err := api.Create(ctx, want, metav1.CreateOptions{FieldManager: apply.FieldManager})
		if !apierrors.IsAlreadyExists(err) {
			if err != nil {
				return nil, fmt.Errorf("creating CRD %s: %w", want.Name, err)
			}
			return created, nil
		}
		if cur, err = api.Get(ctx, want.Name, metav1.GetOptions{}); err != nil {
			return nil, fmt.Errorf("reading CRD %s: %w", want.Name, err)
		}
	}
	return update(ctx, api, want, cur)
}

// update replaces cur's spec with want's and adds want's labels and
// annotations to cur's, retrying on a conflict.
func update(ctx context.Context, api crdInterface, want, cur *apiextensionsv1.CustomResourceDefinition) (*apiextensionsv1.CustomResourceDefinition, error) {
	var out *apiextensionsv1.CustomResourceDefinition
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		next := cur.DeepCopy()
		next.Spec = want.Spec
		next.Labels = merged(next.Labels, want.Labels)
		next.Annotations = merged(next.Annotations, want.Annotations)
		var err error
		out, err = api.Update(ctx, next, metav1.UpdateOptions{FieldManager: apply.FieldManager})
		if apierrors.IsConflict(err) {
			c, gerr := api.Get(ctx, want.Name, metav1.GetOptions{})
			if gerr != nil {
				return gerr
			}
			cur = c
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("updating CRD %s: %w", want.Name, err)
	}
	return out, nil
}

func merged(into, from map[string]string) map[string]string {
	if len(from) > 0 && into == nil {
		into = map[string]string{}
	}
	maps.Copy(into, from)
	return into
}

type crdInterface = apiextensionsclientv1.CustomResourceDefinitionInterface

// settle writes the status the API server's naming and establishing
// controllers would write, in two cases.
//
// A CRD with no status yet (just created, or created by a Supervisor killed
// before anything else happened) is accepted and established in one write
// when nothing can dispute its names: its group held no CRD but
// kubevisor's when the install listed them, none of those claims any of its
// names, and a conversion webhook it names has a usable CA bundle. Those two
// controllers each work one CRD at a time, and on a cold start their two
// status writes for each of 44 large CRDs took two seconds after the last
// create. Both controllers then find nothing to change.
//
// A CRD whose names were accepted but that is not established is
// established. The API server queues a CRD for its establishing
// controller only when an update shows it accepted and not established;
// a Supervisor killed between the two writes restarts to find it in that
// state, and nothing would establish it until the API server's informers
// resync, minutes later.
//
// What the first case gives up: a CRD someone else creates in one of
// kubevisor's groups between the install's list and this write, claiming
// one of the same names, is not weighed against this one, as the naming
// controller would weigh it. The window is the install's (seconds, before
// the Supervisor is ready) and the groups are kubevisor's own.
//
// Names are accepted and the CRD established in one write, so the API
// server's CRD handler sees both at once. A client that saw Established
// before the handler did could find the resource missing for a moment (the
// establishing controller, driven by the handler's informer, rules that
// out); the Supervisor's controllers wait until discovery lists the
// resource, which the same informer feeds. A failed write (a controller
// was quicker, say) leaves the CRD to the controllers.
func settle(ctx context.Context, api crdInterface, crd *apiextensionsv1.CustomResourceDefinition, claims nameClaims) (*apiextensionsv1.CustomResourceDefinition, error) {
	if !usableConversion(crd) {
		return crd, nil
	}
	// The reasons and messages are the API server's own.
	now := metav1.Now()
	established := apiextensionsv1.CustomResourceDefinitionCondition{Type: apiextensionsv1.Established, Status: apiextensionsv1.ConditionTrue, Reason: "InitialNamesAccepted", Message: "the initial names have been accepted", LastTransitionTime: now}
	next := crd.DeepCopy()
	switch {
	case len(crd.Status.Conditions) == 0 && claims.free(crd):
		next.Status.AcceptedNames = crd.Spec.Names
		next.Status.Conditions = []apiextensionsv1.CustomResourceDefinitionCondition{
			{Type: apiextensionsv1.NamesAccepted, Status: apiextensionsv1.ConditionTrue, Reason: "NoConflicts", Message: "no conflicts found", LastTransitionTime: now},
			established,
		}
	case conditionIs(crd, apiextensionsv1.NamesAccepted, apiextensionsv1.ConditionTrue) && !conditionIs(crd, apiextensionsv1.Established, apiextensionsv1.ConditionTrue):
		replaced := false
		for i, c := range next.Status.Conditions {
			if c.Type == apiextensionsv1.Established {
				next.Status.Conditions[i] = established
				replaced = true
			}
		}
		if !replaced {
			next.Status.Conditions = append(next.Status.Conditions, established)
		}
	default:
		return crd, nil
	}
	out, err := api.UpdateStatus(ctx, next, metav1.UpdateOptions{FieldManager: apply.FieldManager})
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("establishing CRD %s: %w", crd.Name, err)
		}
		// The write only saves time: whatever failed it (a conflict with
		// a controller that was quicker, say), the controllers establish
		// the CRD, and the wait after the writes follows them.
		return crd, nil
	}
	return out, nil
}

func conditionIs(crd *apiextensionsv1.CustomResourceDefinition, t apiextensionsv1.CustomResourceDefinitionConditionType, s apiextensionsv1.ConditionStatus) bool {
	for _, c := range crd.Status.Conditions {
		if c.Type == t {
			return c.Status == s
		}
	}
	return false
}

// usableConversion reports whether a CRD's conversion, if it is a webhook,
// names a CA bundle that parses: the establishing controller refuses to
// establish one that does not.
func usableConversion(crd *apiextensionsv1.CustomResourceDefinition) bool {
	c := crd.Spec.Conversion
	if c == nil || c.Webhook == nil || c.Webhook.ClientConfig == nil || len(c.Webhook.ClientConfig.CABundle) == 0 {
		return true
	}
	return x509.NewCertPool().AppendCertsFromPEM(c.Webhook.ClientConfig.CABundle)
}

// nameClaims records, for each API group, which CRD claims each resource
// name (plural, singular, short names) and each kind (kind, list kind),
// among the CRDs that exist and those being installed, as the API server's
// naming controller reckons them; and which groups hold a CRD that is not
// being installed.
type nameClaims struct {
	claims map[string]map[string][]string
	shared map[string]bool
}

func newNameClaims(existing []apiextensionsv1.CustomResourceDefinition, installing []*apiextensionsv1.CustomResourceDefinition) nameClaims {
	c := nameClaims{claims: map[string]map[string][]string{}, shared: map[string]bool{}}
	ours := map[string]bool{}
	for _, crd := range installing {
		ours[crd.Name] = true
		c.add(crd.Spec.Group, crd.Name, crd.Spec.Names)
	}
	for i := range existing {
		crd := &existing[i]
		if !ours[crd.Name] {
			c.shared[crd.Spec.Group] = true
		}
		c.add(crd.Spec.Group, crd.Name, crd.Status.AcceptedNames)
		c.add(crd.Spec.Group, crd.Name, crd.Spec.Names)
	}
	return c
}

func (c nameClaims) add(group, crd string, n apiextensionsv1.CustomResourceDefinitionNames) {
	if c.claims[group] == nil {
		c.claims[group] = map[string][]string{}
	}
	for _, key := range nameKeys(n) {
		if !slices.Contains(c.claims[group][key], crd) {
			c.claims[group][key] = append(c.claims[group][key], crd)
		}
	}
}

// free reports whether crd's group holds no CRD but those being installed,
// and no CRD other than crd claims any of its names.
func (c nameClaims) free(crd *apiextensionsv1.CustomResourceDefinition) bool {
	if c.shared[crd.Spec.Group] {
		return false
	}
	for _, key := range nameKeys(crd.Spec.Names) {
		for _, owner := range c.claims[crd.Spec.Group][key] {
			if owner != crd.Name {
				return false
			}
		}
	}
	return true
}

// nameKeys lists the names a CRD claims: resource names and kinds are
// separate spaces, as the naming controller keeps them.
func nameKeys(n apiextensionsv1.CustomResourceDefinitionNames) []string {
	singular, listKind := n.Singular, n.ListKind
	if singular == "" {
		singular = strings.ToLower(n.Kind) // as the API server defaults it
	}
	if listKind == "" && n.Kind != "" {
		listKind = n.Kind + "List"
	}
	var keys []string
	for _, r := range append([]string{n.Plural, singular}, n.ShortNames...) {
		if r != "" {
			keys = append(keys, "resource:"+r)
		}
	}
	for _, k := range []string{n.Kind, listKind} {
		if k != "" {
			keys = append(keys, "kind:"+k)
		}
	}
	return keys
}

// waitEstablished waits until every CRD in names is established, following
// the changes to CRDs since resourceVersion on one watch. If the watch
// cannot be had or ends early (its resource version expired, say), it reads
// the CRDs still pending instead.
func waitEstablished(ctx context.Context, api crdInterface, resourceVersion string, names []string) error {
	ctx, cancel := context.WithTimeout(ctx, establishTimeout)
	defer cancel()
	state := map[string]string{}
	for _, n := range names {
		state[n] = "not yet established"
	}
	w, err := api.Watch(ctx, metav1.ListOptions{ResourceVersion: resourceVersion})
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
				crd, isCRD := ev.Object.(*apiextensionsv1.CustomResourceDefinition)
				if !isCRD {
					continue
				}
				if _, waiting := state[crd.Name]; !waiting {
					continue
				}
				done, why, err := established(crd)
				if err != nil {
					return err
				}
				if done {
					delete(state, crd.Name)
				} else {
					state[crd.Name] = why
				}
			}
		}
	}
	for _, name := range names {
		if _, waiting := state[name]; waiting {
			if err := pollEstablished(ctx, api, name); err != nil {
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
func established(crd *apiextensionsv1.CustomResourceDefinition) (bool, string, error) {
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
func pollEstablished(ctx context.Context, api crdInterface, name string) error {
	last := "not yet established"
	err := wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		crd, err := api.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			last = err.Error()
			return false, nil
		}
		done, why, err := established(crd)
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
