package crds

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset/fake"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/watch"
	k8stesting "k8s.io/client-go/testing"
	"sigs.k8s.io/yaml"

	"github.com/kubevisor/kubevisor/internal/certs"
)

func TestDropOlderDescriptions(t *testing.T) {
	schema := func() *apiextensionsv1.CustomResourceValidation {
		return &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
			Type: "object", Description: "top",
			Properties: map[string]apiextensionsv1.JSONSchemaProps{
				"spec": {Type: "object", Description: "spec", Properties: map[string]apiextensionsv1.JSONSchemaProps{
					"list": {Type: "array", Description: "list", Items: &apiextensionsv1.JSONSchemaPropsOrArray{Schema: &apiextensionsv1.JSONSchemaProps{Type: "string", Description: "item"}}},
					"map":  {Type: "object", Description: "map", AdditionalProperties: &apiextensionsv1.JSONSchemaPropsOrBool{Schema: &apiextensionsv1.JSONSchemaProps{Type: "string", Description: "value"}}},
				}},
			},
		}}
	}
	crd := &apiextensionsv1.CustomResourceDefinition{Spec: apiextensionsv1.CustomResourceDefinitionSpec{Versions: []apiextensionsv1.CustomResourceDefinitionVersion{
		{Name: "v1beta1", Served: true, Schema: schema()},
		{Name: "v1beta2", Served: true, Storage: true, Schema: schema()},
	}}}
	DropOlderDescriptions(crd)
	old, err := yaml.Marshal(crd.Spec.Versions[0].Schema)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(old), "description") {
		t.Errorf("v1beta1 still has descriptions:\n%s", old)
	}
	if !strings.Contains(string(old), "type: string") {
		t.Errorf("v1beta1 lost more than descriptions:\n%s", old)
	}
	kept, err := yaml.Marshal(crd.Spec.Versions[1].Schema)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"top", "spec", "list", "item", "map", "value"} {
		if !strings.Contains(string(kept), "description: "+d) {
			t.Errorf("the storage version lost description %q", d)
		}
	}
}

func crdObject(name string, conds ...apiextensionsv1.CustomResourceDefinitionCondition) *apiextensionsv1.CustomResourceDefinition {
	return &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Status:     apiextensionsv1.CustomResourceDefinitionStatus{Conditions: conds},
	}
}

func cond(t apiextensionsv1.CustomResourceDefinitionConditionType, s apiextensionsv1.ConditionStatus, reason, message string) apiextensionsv1.CustomResourceDefinitionCondition {
	return apiextensionsv1.CustomResourceDefinitionCondition{Type: t, Status: s, Reason: reason, Message: message}
}

var isEstablished = cond(apiextensionsv1.Established, apiextensionsv1.ConditionTrue, "", "")

// newFake is a fake clientset over a plain object tracker: the generated
// fake's field-managed tracker has no schema for CRDs.
func newFake(objs ...runtime.Object) *fake.Clientset {
	cs, _ := newFakeWithTracker(objs...)
	return cs
}

func newFakeWithTracker(objs ...runtime.Object) (*fake.Clientset, k8stesting.ObjectTracker) {
	scheme := runtime.NewScheme()
	if err := apiextensionsv1.AddToScheme(scheme); err != nil {
		panic(err)
	}
	tracker := k8stesting.NewObjectTracker(scheme, serializer.NewCodecFactory(scheme).UniversalDecoder())
	for _, o := range objs {
		if err := tracker.Add(o); err != nil {
			panic(err)
		}
	}
	cs := &fake.Clientset{}
	cs.AddReactor("*", "*", k8stesting.ObjectReaction(tracker))
	cs.AddWatchReactor("*", func(a k8stesting.Action) (bool, watch.Interface, error) {
		var opts metav1.ListOptions
		if wa, ok := a.(k8stesting.WatchActionImpl); ok {
			opts = wa.ListOptions
		}
		w, err := tracker.Watch(a.GetResource(), a.GetNamespace(), opts)
		return true, w, err
	})
	return cs, tracker
}

func crdsOf(client *fake.Clientset) crdInterface {
	return client.ApiextensionsV1().CustomResourceDefinitions()
}

func TestWaitEstablishedFollowsTheWatch(t *testing.T) {
	client := newFake(crdObject("a.example.com"), crdObject("b.example.com"))
	ctx := t.Context()
	done := make(chan error, 1)
	go func() { done <- waitEstablished(ctx, crdsOf(client), "", []string{"a.example.com", "b.example.com"}) }()

	for _, name := range []string{"a.example.com", "b.example.com"} {
		select {
		case err := <-done:
			t.Fatalf("returned before %s was established: %v", name, err)
		default:
		}
		if _, err := crdsOf(client).Update(ctx, crdObject(name, isEstablished), metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("still waiting after both CRDs were established")
	}
}

func TestWaitEstablishedFailsOnRefusedNames(t *testing.T) {
	refused := cond(apiextensionsv1.NamesAccepted, apiextensionsv1.ConditionFalse, "", `"vm" is already in use`)
	client := newFake(crdObject("a.example.com", refused))
	// The watch replays the CRD with its refused names.
	err := waitEstablished(t.Context(), crdsOf(client), "", []string{"a.example.com"})
	if err == nil || !strings.Contains(err.Error(), "names not accepted") || !strings.Contains(err.Error(), `"vm" is already in use`) {
		t.Fatalf("want the refused names in the error, got %v", err)
	}
}

// A write answers with the CRD as it is: one whose names were refused
// before (and so is written again unchanged, writing nothing the watch
// could see) fails at once.
func TestEstablishedReadsAWriteAnswer(t *testing.T) {
	refused := cond(apiextensionsv1.NamesAccepted, apiextensionsv1.ConditionFalse, "", "taken")
	if _, _, err := established(crdObject("a.example.com", refused)); err == nil || !strings.Contains(err.Error(), "taken") {
		t.Fatalf("want the refusal, got %v", err)
	}
	done, _, err := established(crdObject("a.example.com", isEstablished))
	if err != nil || !done {
		t.Fatalf("an established CRD: done %v, err %v", done, err)
	}
	done, why, err := established(crdObject("a.example.com", cond(apiextensionsv1.Established, apiextensionsv1.ConditionFalse, "Installing", "")))
	if err != nil || done || why != "Established False: Installing" {
		t.Fatalf("an installing CRD: done %v, why %q, err %v", done, why, err)
	}
}

func TestWaitEstablishedTimesOutNamingWhatIsPending(t *testing.T) {
	defer func(d time.Duration) { establishTimeout = d }(establishTimeout)
	establishTimeout = 300 * time.Millisecond
	installing := cond(apiextensionsv1.Established, apiextensionsv1.ConditionFalse, "Installing", "")
	client := newFake(crdObject("a.example.com", installing))
	err := waitEstablished(t.Context(), crdsOf(client), "", []string{"a.example.com"})
	if err == nil || !strings.Contains(err.Error(), "a.example.com (Established False: Installing)") {
		t.Fatalf("want the pending CRD and its state in the error, got %v", err)
	}
}

// definition is a minimal CRD as kubevisor ships one.
func definition(group, plural, kind string, shortNames ...string) *apiextensionsv1.CustomResourceDefinition {
	return &apiextensionsv1.CustomResourceDefinition{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apiextensions.k8s.io/v1", Kind: "CustomResourceDefinition"},
		ObjectMeta: metav1.ObjectMeta{Name: plural + "." + group},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: group,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: plural, Kind: kind, ShortNames: shortNames},
			Scope: apiextensionsv1.NamespaceScoped,
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
				Name: "v1", Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{Type: "object"}},
			}},
		},
	}
}

// writes lists the create, update and update-status actions a fake saw.
func writes(client *fake.Clientset) []string {
	var out []string
	for _, a := range client.Actions() {
		o, ok := a.(interface{ GetObject() runtime.Object })
		if !ok {
			continue
		}
		verb := a.GetVerb()
		if a.GetSubresource() != "" {
			verb += "-" + a.GetSubresource()
		}
		out = append(out, verb+" "+o.GetObject().(*apiextensionsv1.CustomResourceDefinition).Name)
	}
	return out
}

// A cold start creates each CRD and, its names being free, establishes it
// in the same breath; a second start with the same definitions writes
// nothing.
func TestInstallCreatesAndAcceptsFreeNames(t *testing.T) {
	ctx := t.Context()
	client := newFake()
	defs := []*apiextensionsv1.CustomResourceDefinition{
		definition("example.com", "widgets", "Widget", "wd"),
		definition("example.com", "gadgets", "Gadget"),
	}
	if err := Install(ctx, client, defs); err != nil {
		t.Fatal(err)
	}
	got := writes(client)
	slices.Sort(got)
	want := []string{"create gadgets.example.com", "create widgets.example.com", "update-status gadgets.example.com", "update-status widgets.example.com"}
	if !slices.Equal(got, want) {
		t.Fatalf("writes %v, want %v", got, want)
	}
	w, err := crdsOf(client).Get(ctx, "widgets.example.com", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The naming controller leaves a CRD alone when these are equal.
	if !equality.Semantic.DeepEqual(w.Spec.Names, w.Status.AcceptedNames) {
		t.Errorf("accepted names %+v, spec names %+v", w.Status.AcceptedNames, w.Spec.Names)
	}
	for _, c := range []apiextensionsv1.CustomResourceDefinitionConditionType{apiextensionsv1.NamesAccepted, apiextensionsv1.Established} {
		if !hasTrue(w, c) {
			t.Errorf("condition %s is not True: %+v", c, w.Status.Conditions)
		}
	}
	if w.Annotations[DefinitionAnnotation] == "" {
		t.Error("no definition digest")
	}

	client.ClearActions()
	if err := Install(ctx, client, defs); err != nil {
		t.Fatal(err)
	}
	if got := writes(client); len(got) != 0 {
		t.Fatalf("an unchanged install wrote %v", got)
	}
}

func hasTrue(crd *apiextensionsv1.CustomResourceDefinition, t apiextensionsv1.CustomResourceDefinitionConditionType) bool {
	for _, c := range crd.Status.Conditions {
		if c.Type == t {
			return c.Status == apiextensionsv1.ConditionTrue
		}
	}
	return false
}

// A CRD whose names another CRD in its group might dispute is left to the
// API server's naming controller: here it never runs, so the install waits
// and times out naming the CRD.
func TestInstallLeavesDisputableNamesToTheAPIServer(t *testing.T) {
	defer func(d time.Duration) { establishTimeout = d }(establishTimeout)
	establishTimeout = 300 * time.Millisecond
	other := definition("example.com", "things", "Thing", "wd")
	other.Status.AcceptedNames = other.Spec.Names
	client := newFake(other)
	err := Install(t.Context(), client, []*apiextensionsv1.CustomResourceDefinition{definition("example.com", "widgets", "Widget", "wd")})
	if err == nil || !strings.Contains(err.Error(), "widgets.example.com") {
		t.Fatalf("want a timeout naming widgets.example.com, got %v", err)
	}
	if got := writes(client); !slices.Equal(got, []string{"create widgets.example.com"}) {
		t.Fatalf("writes %v, want only the create", got)
	}
}

// A changed definition replaces the CRD's spec whole (a dropped field is
// gone) and keeps labels and annotations others put on it.
func TestInstallUpdatesAChangedDefinition(t *testing.T) {
	ctx := t.Context()
	old := definition("example.com", "widgets", "Widget", "wd", "old")
	old.Labels = map[string]string{"team": "a"}
	old.Annotations = map[string]string{"note": "kept", DefinitionAnnotation: "stale"}
	old.Status.Conditions = []apiextensionsv1.CustomResourceDefinitionCondition{isEstablished}
	client := newFake(old)
	if err := Install(ctx, client, []*apiextensionsv1.CustomResourceDefinition{definition("example.com", "widgets", "Widget", "wd")}); err != nil {
		t.Fatal(err)
	}
	if got := writes(client); !slices.Equal(got, []string{"update widgets.example.com"}) {
		t.Fatalf("writes %v, want one update", got)
	}
	w, err := crdsOf(client).Get(ctx, "widgets.example.com", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(w.Spec.Names.ShortNames, []string{"wd"}) {
		t.Errorf("short names %v, want [wd]", w.Spec.Names.ShortNames)
	}
	if w.Labels["team"] != "a" || w.Annotations["note"] != "kept" || w.Annotations[DefinitionAnnotation] == "stale" {
		t.Errorf("labels %v, annotations %v", w.Labels, w.Annotations)
	}
}

// A Supervisor killed between the naming controller's write and the
// establishing controller's leaves a CRD accepted and not established. The
// API server queues it for establishing only on an update showing that
// state, which a restart does not bring: the install establishes it.
func TestInstallEstablishesAnAcceptedCRD(t *testing.T) {
	defer func(d time.Duration) { establishTimeout = d }(establishTimeout)
	establishTimeout = time.Second
	def := definition("example.com", "widgets", "Widget")
	existing, err := withDigest(def)
	if err != nil {
		t.Fatal(err)
	}
	existing.Status.AcceptedNames = existing.Spec.Names
	existing.Status.Conditions = []apiextensionsv1.CustomResourceDefinitionCondition{
		cond(apiextensionsv1.NamesAccepted, apiextensionsv1.ConditionTrue, "NoConflicts", "no conflicts found"),
		cond(apiextensionsv1.Established, apiextensionsv1.ConditionFalse, "Installing", "the initial names have been accepted"),
	}
	client := newFake(existing)
	if err := Install(t.Context(), client, []*apiextensionsv1.CustomResourceDefinition{def}); err != nil {
		t.Fatal(err)
	}
	w, err := crdsOf(client).Get(t.Context(), "widgets.example.com", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !hasTrue(w, apiextensionsv1.Established) || !hasTrue(w, apiextensionsv1.NamesAccepted) || len(w.Status.Conditions) != 2 {
		t.Errorf("conditions %+v", w.Status.Conditions)
	}
}

func TestNameClaims(t *testing.T) {
	mine := definition("example.com", "widgets", "Widget")
	for _, tc := range []struct {
		name  string
		other *apiextensionsv1.CustomResourceDefinition
		free  bool
	}{
		{"another group", definition("example.org", "widgets", "Widget"), true},
		{"distinct names", definition("example.com", "gadgets", "Gadget"), true},
		{"kind", definition("example.com", "things", "Widget"), false},
		{"defaulted singular as a short name", definition("example.com", "things", "Thing", "widget"), false},
		{"list kind", definition("example.com", "things", "WidgetList"), false},
	} {
		t.Run("installing, "+tc.name, func(t *testing.T) {
			c := newNameClaims(nil, []*apiextensionsv1.CustomResourceDefinition{mine, tc.other})
			if got := c.free(mine); got != tc.free {
				t.Errorf("free = %v, want %v", got, tc.free)
			}
		})
	}
	// A group holding a CRD that is not being installed is never taken
	// for free, whatever its names: a CRD created there meanwhile would
	// not be weighed against ours.
	foreign := *definition("example.com", "gadgets", "Gadget")
	if newNameClaims([]apiextensionsv1.CustomResourceDefinition{foreign}, []*apiextensionsv1.CustomResourceDefinition{mine}).free(mine) {
		t.Error("a group with a CRD kubevisor does not install: want not free")
	}
	elsewhere := *definition("example.org", "widgets", "Widget")
	if !newNameClaims([]apiextensionsv1.CustomResourceDefinition{elsewhere}, []*apiextensionsv1.CustomResourceDefinition{mine}).free(mine) {
		t.Error("a CRD in another group: want free")
	}
	// An existing CRD of ours whose accepted names differ from its spec
	// (an older definition) still claims them.
	old := *definition("example.com", "things", "Thing")
	old.Status.AcceptedNames = apiextensionsv1.CustomResourceDefinitionNames{Plural: "things", Kind: "Widget"}
	if newNameClaims([]apiextensionsv1.CustomResourceDefinition{old}, []*apiextensionsv1.CustomResourceDefinition{mine, definition("example.com", "things", "Thing")}).free(mine) {
		t.Error("an accepted kind of an existing CRD: want not free")
	}
}

// The status write only saves time: when it fails, the CRD is left to the
// API server's controllers, and the install waits for them.
func TestInstallFallsBackWhenTheStatusWriteFails(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"conflict", apierrors.NewConflict(schema.GroupResource{Group: "apiextensions.k8s.io", Resource: "customresourcedefinitions"}, "widgets.example.com", errors.New("changed"))},
		{"server error", apierrors.NewInternalError(errors.New("boom"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client, tracker := newFakeWithTracker()
			client.PrependReactor("update", "customresourcedefinitions", func(a k8stesting.Action) (bool, runtime.Object, error) {
				if a.GetSubresource() != "status" {
					return false, nil, nil
				}
				// The controllers get there first.
				go func() {
					crd, err := crdsOf(client).Get(context.Background(), "widgets.example.com", metav1.GetOptions{})
					if err != nil {
						return
					}
					crd.Status.Conditions = []apiextensionsv1.CustomResourceDefinitionCondition{isEstablished}
					_ = tracker.Update(a.GetResource(), crd, "")
				}()
				return true, nil, tc.err
			})
			if err := Install(t.Context(), client, []*apiextensionsv1.CustomResourceDefinition{definition("example.com", "widgets", "Widget")}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// Another Supervisor sharing the datastore may create a CRD between the
// list and the create: it is updated instead.
func TestInstallUpdatesWhatAnotherCreated(t *testing.T) {
	client, tracker := newFakeWithTracker()
	client.PrependReactor("create", "customresourcedefinitions", func(a k8stesting.Action) (bool, runtime.Object, error) {
		crd := a.(k8stesting.CreateAction).GetObject().(*apiextensionsv1.CustomResourceDefinition).DeepCopy()
		crd.Annotations = map[string]string{DefinitionAnnotation: "the other one's"}
		crd.Status.Conditions = []apiextensionsv1.CustomResourceDefinitionCondition{isEstablished}
		if err := tracker.Add(crd); err != nil {
			return true, nil, err
		}
		return true, nil, apierrors.NewAlreadyExists(schema.GroupResource{Group: "apiextensions.k8s.io", Resource: "customresourcedefinitions"}, crd.Name)
	})
	if err := Install(t.Context(), client, []*apiextensionsv1.CustomResourceDefinition{definition("example.com", "widgets", "Widget")}); err != nil {
		t.Fatal(err)
	}
	w, err := crdsOf(client).Get(t.Context(), "widgets.example.com", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if w.Annotations[DefinitionAnnotation] == "the other one's" {
		t.Error("the existing CRD was not updated to this definition")
	}
}

func TestUsableConversion(t *testing.T) {
	crd := definition("example.com", "widgets", "Widget")
	if !usableConversion(crd) {
		t.Error("no conversion: want usable")
	}
	crd.Spec.Conversion = &apiextensionsv1.CustomResourceConversion{
		Strategy: apiextensionsv1.WebhookConverter,
		Webhook:  &apiextensionsv1.WebhookConversion{ClientConfig: &apiextensionsv1.WebhookClientConfig{CABundle: []byte("not a certificate")}},
	}
	if usableConversion(crd) {
		t.Error("a CA bundle that does not parse: want unusable")
	}
	crd.Spec.Conversion.Webhook.ClientConfig.CABundle = testCA(t)
	if !usableConversion(crd) {
		t.Error("a CA certificate: want usable")
	}
}

func testCA(t *testing.T) []byte {
	ca, err := certs.LoadOrCreateAuthority(t.TempDir(), "ca", "test")
	if err != nil {
		t.Fatal(err)
	}
	return ca.CertPEM
}
