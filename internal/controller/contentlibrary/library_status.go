package contentlibrary

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	imgregv1 "github.com/kubevisor/kubevisor/api/imageregistry/v1alpha1"
	"github.com/kubevisor/kubevisor/internal/library"
)

// libraryFacts are what a pass found, as far as a library's status is
// concerned.
type libraryFacts struct {
	// publishURL is the index URL of a published library.
	publishURL string
	// syncKnown: a synchronisation has run since the Supervisor started;
	// syncErr is its error and lastSync when it last succeeded.
	syncKnown bool
	syncErr   error
	lastSync  time.Time
	deleting  bool
}

// setLibraryStatus computes a library's status from its spec and what the
// pass found: type, storage, version, publication and subscription info,
// the last sync time, and the Ready and SubscriptionSynced conditions.
func setLibraryStatus(st *imgregv1.ContentLibraryStatus, lib client.Object, f libraryFacts) {
	spec := library.LibrarySpec(lib)
	st.Name = lib.GetName()
	st.Type = imgregv1.ContentLibraryTypeLocal
	st.StorageBacking = &imgregv1.StorageBacking{Type: imgregv1.StorageBackingTypeDatastore}
	st.Version = strconv.FormatInt(lib.GetGeneration(), 10)
	st.State = imgregv1.StateActive
	if created := lib.GetCreationTimestamp(); !created.IsZero() {
		st.CreationTime = &created
	}
	st.PublishInfo = nil
	if p := spec.Publication; p != nil {
		st.PublishInfo = &imgregv1.PublishInfo{Published: p.Enabled, URL: f.publishURL}
		if !p.Enabled {
			st.PublishInfo.URL = ""
		}
	}
	st.SubscriptionInfo = nil
	if sub := spec.Subscription; sub != nil {
		st.Type = imgregv1.ContentLibraryTypeSubscribed
		st.SubscriptionInfo = &imgregv1.SubscriptionInfo{URL: sub.URL, OnDemand: sub.OnDemand, AutomaticSync: true}
		if !f.lastSync.IsZero() {
			t := metav1.NewTime(f.lastSync.UTC().Truncate(time.Second))
			st.LastSyncTime = &t
		}
		setSubscriptionSyncedCondition(st, lib.GetGeneration(), f)
	} else {
		st.LastSyncTime = nil
		meta.RemoveStatusCondition(&st.Conditions, imgregv1.SubscriptionSyncedCondition)
	}

	ready := metav1.Condition{Type: imgregv1.ReadyConditionType, Status: metav1.ConditionTrue, Reason: imgregv1.TrueReason, ObservedGeneration: lib.GetGeneration()}
	if f.deleting {
		ready.Status, ready.Reason = metav1.ConditionFalse, imgregv1.DeletingReason
		ready.Message = "the library's items and content are being deleted"
	}
	meta.SetStatusCondition(&st.Conditions, ready)
}

// setSubscriptionSyncedCondition reports the last synchronisation.
func setSubscriptionSyncedCondition(st *imgregv1.ContentLibraryStatus, generation int64, f libraryFacts) {
	c := metav1.Condition{Type: imgregv1.SubscriptionSyncedCondition, ObservedGeneration: generation}
	var se *library.SyncError
	switch {
	case !f.syncKnown:
		c.Status, c.Reason, c.Message = metav1.ConditionUnknown, imgregv1.SubscriptionSyncingReason, "waiting for the first synchronisation"
	case f.syncErr == nil:
		c.Status, c.Reason = metav1.ConditionTrue, imgregv1.TrueReason
	case errors.As(f.syncErr, &se):
		c.Status, c.Reason, c.Message = metav1.ConditionFalse, se.Reason, se.Error()
	default:
		c.Status, c.Reason, c.Message = metav1.ConditionFalse, imgregv1.SubscriptionSyncFailedReason, f.syncErr.Error()
	}
	meta.SetStatusCondition(&st.Conditions, c)
}

// setBindingStatus mirrors, on a namespace's binding, the status of the
// cluster library it binds (nil when that library does not exist).
func setBindingStatus(st *imgregv1.ContentLibraryStatus, b *imgregv1.ContentLibrary, cluster *imgregv1.ClusterContentLibrary) {
	ready := metav1.Condition{Type: imgregv1.ReadyConditionType, ObservedGeneration: b.Generation}
	if cluster == nil {
		st.Name = b.Name
		ready.Status, ready.Reason = metav1.ConditionFalse, imgregv1.DeletedReason
		ready.Message = fmt.Sprintf("ClusterContentLibrary %s with UUID %s does not exist", b.Name, b.Spec.UUID)
		meta.SetStatusCondition(&st.Conditions, ready)
		return
	}
	cs := cluster.Status
	st.Name, st.Description, st.Type, st.Version, st.State = cs.Name, cs.Description, cs.Type, cs.Version, cs.State
	st.StorageBacking, st.CreationTime, st.LastSyncTime = cs.StorageBacking, cs.CreationTime, cs.LastSyncTime
	ready.Status, ready.Reason = metav1.ConditionTrue, imgregv1.TrueReason
	if c := meta.FindStatusCondition(cs.Conditions, imgregv1.ReadyConditionType); c != nil && c.Status != metav1.ConditionTrue {
		ready.Status, ready.Reason, ready.Message = c.Status, c.Reason, "ClusterContentLibrary "+cluster.Name+": "+c.Message
	}
	meta.SetStatusCondition(&st.Conditions, ready)
}
