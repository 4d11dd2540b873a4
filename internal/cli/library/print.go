package library

import (
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"
	"sigs.k8s.io/controller-runtime/pkg/client"

	imgregv1 "github.com/kubevisor/kubevisor/api/imageregistry/v1alpha1"
)

// printLibraries prints one line per library: its type, item count,
// readiness, subscription state, age and where it is published or what it
// mirrors; then why any subscription failed.
func printLibraries(w io.Writer, libs []imgregv1.ClusterContentLibrary, items []imgregv1.ClusterContentLibraryItem, now time.Time) error {
	count := map[string]int{}
	for i := range items {
		for _, ref := range items[i].OwnerReferences {
			count[string(ref.UID)]++
		}
	}
	sort.Slice(libs, func(i, j int) bool { return libs[i].Name < libs[j].Name })
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tTYPE\tITEMS\tREADY\tSYNC\tAGE\tURL")
	var problems []string
	for i := range libs {
		l := &libs[i]
		typ, u, sync := "Local", "-", "-"
		if p := l.Status.PublishInfo; p != nil && p.Published && p.URL != "" {
			typ, u = "Published", p.URL
		}
		if s := l.Spec.Subscription; s != nil {
			typ, u, sync = "Subscribed", s.URL, "Unknown"
			if s.OnDemand {
				typ = "Subscribed (on demand)"
			}
			if c := meta.FindStatusCondition(l.Status.Conditions, imgregv1.SubscriptionSyncedCondition); c != nil {
				sync = c.Reason
				if c.Status == metav1.ConditionTrue {
					sync = "Synced"
				} else if c.Message != "" {
					problems = append(problems, fmt.Sprintf("%s: %s: %s", l.Name, c.Reason, c.Message))
				}
			}
		}
		ready := "Unknown"
		if c := meta.FindStatusCondition(l.Status.Conditions, imgregv1.ReadyConditionType); c != nil {
			ready = string(c.Status)
			if c.Status != metav1.ConditionTrue {
				ready += " (" + c.Reason + ")"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\n", l.Name, typ, count[string(l.UID)], ready, sync, age(l.CreationTimestamp, now), u)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, p := range problems {
		fmt.Fprintln(w, p)
	}
	return nil
}

// itemRow is one item in `library items`.
type itemRow struct {
	name, object, uuid, version, size, cached, ready string
	created                                          metav1.Time
}

func rowOf(obj client.Object, st *imgregv1.ContentLibraryItemStatus) itemRow {
	r := itemRow{
		name: st.Name, object: obj.GetName(), uuid: "-", version: st.ContentVersion,
		size: "-", cached: fmt.Sprint(st.Cached), ready: "Unknown", created: obj.GetCreationTimestamp(),
	}
	if r.name == "" {
		r.name = "-"
	}
	if u := itemUUID(obj); u != "" {
		r.uuid = u
	}
	if !st.SizeInBytes.IsZero() {
		r.size = humanBytes(st.SizeInBytes)
	}
	if c := meta.FindStatusCondition(st.Conditions, imgregv1.ReadyConditionType); c != nil {
		r.ready = string(c.Status)
		if c.Status != metav1.ConditionTrue {
			r.ready += " (" + c.Reason + "): " + c.Message
		}
	}
	return r
}

func itemUUID(obj client.Object) string {
	switch i := obj.(type) {
	case *imgregv1.ClusterContentLibraryItem:
		return i.Spec.UUID
	case *imgregv1.ContentLibraryItem:
		return i.Spec.UUID
	}
	return ""
}

func printItems(w io.Writer, rows []itemRow, now time.Time) error {
	sort.Slice(rows, func(i, j int) bool { return rows[i].name < rows[j].name })
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tITEM\tUUID\tVERSION\tSIZE\tCACHED\tAGE\tREADY")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.name, r.object, r.uuid, orDash(r.version), r.size, r.cached, age(r.created, now), r.ready)
	}
	return tw.Flush()
}

func humanBytes(q resource.Quantity) string {
	n := q.Value()
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1fGi", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1fMi", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1fKi", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d", n)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func age(t metav1.Time, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return duration.HumanDuration(now.Sub(t.Time))
}
