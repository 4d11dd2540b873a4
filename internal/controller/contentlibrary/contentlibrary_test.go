package contentlibrary

import (
	"errors"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	imgregv1 "github.com/kubevisor/kubevisor/api/imageregistry/v1alpha1"
	vmopv1 "github.com/kubevisor/kubevisor/api/vmoperator/v1alpha3"
	"github.com/kubevisor/kubevisor/internal/library"
)

func TestDesiredImages(t *testing.T) {
	uuid := "0e1c4f3a-5b6d-5e7f-8a9b-0c1d2e3f4a5b"
	name := library.ItemObjectName(uuid)
	cluster := &imgregv1.ClusterContentLibraryItem{ObjectMeta: metav1.ObjectMeta{Name: name, UID: "u1"}, Spec: imgregv1.ContentLibraryItemSpec{UUID: uuid}}
	namespaced := &imgregv1.ContentLibraryItem{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "team-a", UID: "u2"}, Spec: imgregv1.ContentLibraryItemSpec{UUID: uuid}}
	image := library.ImageName(name, uuid)

	tests := []struct {
		name       string
		item       client.Object
		namespaces []string
		want       []string // kind/namespace/name
		refKind    string
	}{
		{"cluster item, no bindings", cluster, nil, []string{"C//" + image}, library.KindClusterContentLibraryItem},
		{"cluster item, bound twice", cluster, []string{"team-b", "team-a", "team-b"}, []string{"C//" + image, "N/team-a/" + image, "N/team-b/" + image}, library.KindClusterContentLibraryItem},
		{"namespaced item", namespaced, []string{"ignored"}, []string{"N/team-a/" + image}, library.KindContentLibraryItem},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := desiredImages(tt.item, tt.namespaces)
			var keys []string
			for _, o := range got {
				k := "N/"
				if _, ok := o.(*vmopv1.ClusterVirtualMachineImage); ok {
					k = "C/"
				}
				keys = append(keys, k+o.GetNamespace()+"/"+o.GetName())
				ref := library.ImageSpecOf(o).ProviderRef
				if ref == nil || ref.Kind != tt.refKind || ref.Name != name || ref.APIVersion != imgregv1.GroupVersion.String() {
					t.Errorf("providerRef %+v", ref)
				}
				owners := o.GetOwnerReferences()
				if len(owners) != 1 || owners[0].UID != tt.item.GetUID() || owners[0].Kind != tt.refKind || owners[0].Controller == nil || !*owners[0].Controller {
					t.Errorf("owners %+v", owners)
				}
			}
			if len(keys) != len(tt.want) {
				t.Fatalf("images %v, want %v", keys, tt.want)
			}
			for i := range keys {
				if keys[i] != tt.want[i] {
					t.Errorf("images %v, want %v", keys, tt.want)
				}
			}
		})
	}
}

func TestDesiredSubscribedItem(t *testing.T) {
	lib := &imgregv1.ClusterContentLibrary{ObjectMeta: metav1.ObjectMeta{Name: "mirror", UID: "lib-uid"},
		Spec: imgregv1.ClusterContentLibrarySpec{BaseContentLibrarySpec: imgregv1.BaseContentLibrarySpec{UUID: "lib-uuid"}}}
	entry := library.IndexItem{UUID: "publisher-item"}
	byID := desiredSubscribedItem(lib, entry)
	uuid := library.SubscribedItemUUID("lib-uuid", "publisher-item")
	if byID.GetName() != library.ItemObjectName(uuid) || library.ItemSpec(byID).UUID != uuid {
		t.Errorf("FROM_ITEM_ID: %s %s", byID.GetName(), library.ItemSpec(byID).UUID)
	}
	lib.Spec.ResourceNamingStrategy = imgregv1.ResourceNamingStrategyPreferItemSourceID
	bySource := desiredSubscribedItem(lib, entry)
	if bySource.GetName() != library.ItemObjectName("publisher-item") || library.ItemSpec(bySource).UUID != uuid {
		t.Errorf("PREFER_ITEM_SOURCE_ID: %s %s", bySource.GetName(), library.ItemSpec(bySource).UUID)
	}
	if library.LibraryOf(bySource) != "mirror" {
		t.Errorf("owner %+v", bySource.GetOwnerReferences())
	}
}

func TestSetLibraryStatus(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	local := &imgregv1.ClusterContentLibrary{ObjectMeta: metav1.ObjectMeta{Name: "images", Generation: 2},
		Spec: imgregv1.ClusterContentLibrarySpec{BaseContentLibrarySpec: imgregv1.BaseContentLibrarySpec{UUID: "u"}}}
	published := local.DeepCopy()
	published.Spec.Publication = &imgregv1.ContentLibraryPublication{Enabled: true}
	subscribed := local.DeepCopy()
	subscribed.Spec.Subscription = &imgregv1.ContentLibrarySubscription{URL: "https://pub/index.json", OnDemand: true}

	tests := []struct {
		name       string
		lib        *imgregv1.ClusterContentLibrary
		facts      libraryFacts
		wantType   imgregv1.ContentLibraryType
		wantReady  metav1.ConditionStatus
		wantSynced string // reason, "" for no condition
		check      func(t *testing.T, st *imgregv1.ContentLibraryStatus)
	}{
		{"local", local, libraryFacts{}, imgregv1.ContentLibraryTypeLocal, metav1.ConditionTrue, "", func(t *testing.T, st *imgregv1.ContentLibraryStatus) {
			if st.PublishInfo != nil || st.SubscriptionInfo != nil || st.Version != "2" || st.State != imgregv1.StateActive {
				t.Errorf("%+v", st)
			}
		}},
		{"published", published, libraryFacts{publishURL: "https://sv:8443/library/v1/published/u/index.json"}, imgregv1.ContentLibraryTypeLocal, metav1.ConditionTrue, "", func(t *testing.T, st *imgregv1.ContentLibraryStatus) {
			if st.PublishInfo == nil || !st.PublishInfo.Published || st.PublishInfo.URL == "" {
				t.Errorf("publishInfo %+v", st.PublishInfo)
			}
		}},
		{"subscribed, not synced yet", subscribed, libraryFacts{}, imgregv1.ContentLibraryTypeSubscribed, metav1.ConditionTrue, imgregv1.SubscriptionSyncingReason, func(t *testing.T, st *imgregv1.ContentLibraryStatus) {
			if st.SubscriptionInfo == nil || !st.SubscriptionInfo.OnDemand || st.LastSyncTime != nil {
				t.Errorf("%+v", st)
			}
		}},
		{"subscribed, synced", subscribed, libraryFacts{syncKnown: true, lastSync: now}, imgregv1.ContentLibraryTypeSubscribed, metav1.ConditionTrue, imgregv1.TrueReason, func(t *testing.T, st *imgregv1.ContentLibraryStatus) {
			if st.LastSyncTime == nil || !st.LastSyncTime.Time.Equal(now) {
				t.Errorf("lastSyncTime %v", st.LastSyncTime)
			}
		}},
		{"subscribed, untrusted", subscribed, libraryFacts{syncKnown: true, syncErr: &library.SyncError{Reason: imgregv1.SubscriptionCertificateUntrustedReason, Err: errors.New("x509: unknown authority")}},
			imgregv1.ContentLibraryTypeSubscribed, metav1.ConditionTrue, imgregv1.SubscriptionCertificateUntrustedReason, nil},
		{"subscribed, failed", subscribed, libraryFacts{syncKnown: true, syncErr: errors.New("boom")},
			imgregv1.ContentLibraryTypeSubscribed, metav1.ConditionTrue, imgregv1.SubscriptionSyncFailedReason, nil},
		{"deleting", local, libraryFacts{deleting: true}, imgregv1.ContentLibraryTypeLocal, metav1.ConditionFalse, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &imgregv1.ContentLibraryStatus{}
			setLibraryStatus(st, tt.lib, tt.facts)
			if st.Type != tt.wantType || st.Name != "images" {
				t.Errorf("type %s name %s", st.Type, st.Name)
			}
			ready := meta.FindStatusCondition(st.Conditions, imgregv1.ReadyConditionType)
			if ready == nil || ready.Status != tt.wantReady || ready.Reason == "" {
				t.Errorf("Ready %+v", ready)
			}
			synced := meta.FindStatusCondition(st.Conditions, imgregv1.SubscriptionSyncedCondition)
			switch {
			case tt.wantSynced == "" && synced != nil:
				t.Errorf("unexpected SubscriptionSynced %+v", synced)
			case tt.wantSynced != "" && (synced == nil || synced.Reason != tt.wantSynced):
				t.Errorf("SubscriptionSynced %+v, want reason %s", synced, tt.wantSynced)
			}
			if tt.check != nil {
				tt.check(t, st)
			}
			again := st.DeepCopy()
			setLibraryStatus(again, tt.lib, tt.facts)
			if !meta.IsStatusConditionPresentAndEqual(again.Conditions, imgregv1.ReadyConditionType, ready.Status) || len(again.Conditions) != len(st.Conditions) {
				t.Error("status is not stable")
			}
		})
	}
}

func TestSetBindingStatus(t *testing.T) {
	b := &imgregv1.ContentLibrary{ObjectMeta: metav1.ObjectMeta{Name: "tkr", Namespace: "team-a"},
		Spec: imgregv1.ContentLibrarySpec{BaseContentLibrarySpec: imgregv1.BaseContentLibrarySpec{UUID: "u"}}}
	st := &imgregv1.ContentLibraryStatus{}
	setBindingStatus(st, b, nil)
	if c := meta.FindStatusCondition(st.Conditions, imgregv1.ReadyConditionType); c == nil || c.Status != metav1.ConditionFalse || c.Reason != imgregv1.DeletedReason {
		t.Errorf("missing cluster library: %+v", c)
	}
	cluster := &imgregv1.ClusterContentLibrary{ObjectMeta: metav1.ObjectMeta{Name: "tkr"}, Status: imgregv1.ContentLibraryStatus{
		Name: "tkr", Type: imgregv1.ContentLibraryTypeSubscribed,
		Conditions: []metav1.Condition{{Type: imgregv1.ReadyConditionType, Status: metav1.ConditionTrue, Reason: imgregv1.TrueReason}},
	}}
	setBindingStatus(st, b, cluster)
	if c := meta.FindStatusCondition(st.Conditions, imgregv1.ReadyConditionType); c == nil || c.Status != metav1.ConditionTrue || st.Type != imgregv1.ContentLibraryTypeSubscribed {
		t.Errorf("bound: %+v %+v", c, st)
	}
}
