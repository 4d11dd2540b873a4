package library

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	imgregv1 "github.com/kubevisor/kubevisor/api/imageregistry/v1alpha1"
)

func TestCreateFlags(t *testing.T) {
	const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
	read := func(path string) ([]byte, error) {
		switch path {
		case "ca.crt":
			return []byte(pem), nil
		case "junk":
			return []byte("junk"), nil
		}
		return nil, errors.New("no such file")
	}
	url := "https://sv:8443/library/v1/published/u/index.json"
	tests := []struct {
		name    string
		flags   createFlags
		changed []string
		wantErr string
		check   func(t *testing.T, l *imgregv1.ClusterContentLibrary)
	}{
		{name: "local", check: func(t *testing.T, l *imgregv1.ClusterContentLibrary) {
			if l.Spec.Subscription != nil || l.Spec.Publication != nil || len(l.Spec.UUID) != 36 {
				t.Errorf("%+v", l.Spec)
			}
		}},
		{name: "published", flags: createFlags{publish: true}, check: func(t *testing.T, l *imgregv1.ClusterContentLibrary) {
			if l.Spec.Publication == nil || !l.Spec.Publication.Enabled {
				t.Errorf("%+v", l.Spec)
			}
		}},
		{name: "subscribed", flags: createFlags{subscribe: url, onDemand: true, caFile: "ca.crt", pollInterval: 5 * time.Minute},
			changed: []string{"subscribe", "on-demand", "ca-file", "poll-interval"},
			check: func(t *testing.T, l *imgregv1.ClusterContentLibrary) {
				s := l.Spec.Subscription
				if s == nil || s.URL != url || !s.OnDemand || string(s.CABundle) != pem || s.PollInterval.Duration != 5*time.Minute {
					t.Errorf("%+v", s)
				}
			}},
		{name: "on-demand alone", flags: createFlags{onDemand: true}, changed: []string{"on-demand"}, wantErr: "--on-demand needs --subscribe"},
		{name: "publish and subscribe", flags: createFlags{subscribe: url, publish: true}, wantErr: "exclude each other"},
		{name: "http", flags: createFlags{subscribe: "http://sv/index.json"}, wantErr: "https URL"},
		{name: "short poll", flags: createFlags{subscribe: url, pollInterval: time.Second}, changed: []string{"poll-interval"}, wantErr: "at least 1m"},
		{name: "missing CA file", flags: createFlags{subscribe: url, caFile: "nope"}, wantErr: "--ca-file"},
		{name: "CA file without PEM", flags: createFlags{subscribe: url, caFile: "junk"}, wantErr: "no PEM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			changed := func(f string) bool {
				for _, c := range tt.changed {
					if c == f {
						return true
					}
				}
				return false
			}
			lib, err := tt.flags.library("lib", changed, read)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if lib.Name != "lib" {
				t.Errorf("name %s", lib.Name)
			}
			tt.check(t, lib)
		})
	}
}

func TestPrintLibraries(t *testing.T) {
	now := time.Now()
	created := metav1.NewTime(now.Add(-time.Hour))
	libs := []imgregv1.ClusterContentLibrary{
		{ObjectMeta: metav1.ObjectMeta{Name: "mirror", UID: "m", CreationTimestamp: created},
			Spec: imgregv1.ClusterContentLibrarySpec{BaseContentLibrarySpec: imgregv1.BaseContentLibrarySpec{
				Subscription: &imgregv1.ContentLibrarySubscription{URL: "https://pub/index.json", OnDemand: true}}},
			Status: imgregv1.ContentLibraryStatus{Conditions: []metav1.Condition{
				{Type: imgregv1.ReadyConditionType, Status: metav1.ConditionTrue, Reason: imgregv1.TrueReason},
				{Type: imgregv1.SubscriptionSyncedCondition, Status: metav1.ConditionFalse, Reason: imgregv1.SubscriptionCertificateUntrustedReason, Message: "x509: unknown authority"},
			}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "images", UID: "i", CreationTimestamp: created},
			Status: imgregv1.ContentLibraryStatus{
				PublishInfo: &imgregv1.PublishInfo{Published: true, URL: "https://sv/library/v1/published/u/index.json"},
				Conditions:  []metav1.Condition{{Type: imgregv1.ReadyConditionType, Status: metav1.ConditionTrue, Reason: imgregv1.TrueReason}}}},
	}
	items := []imgregv1.ClusterContentLibraryItem{
		{ObjectMeta: metav1.ObjectMeta{Name: "a", OwnerReferences: []metav1.OwnerReference{{UID: "i"}}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "b", OwnerReferences: []metav1.OwnerReference{{UID: "i"}}}},
	}
	var out bytes.Buffer
	if err := printLibraries(&out, libs, items, now); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("output:\n%s", out.String())
	}
	for i, want := range [][]string{
		{"NAME", "TYPE", "ITEMS", "READY", "SYNC", "AGE", "URL"},
		{"images", "Published", "2", "True", "-", "60m", "https://sv/library/v1/published/u/index.json"},
		{"mirror", "Subscribed (on demand)", "0", "True", "CertificateUntrusted", "60m", "https://pub/index.json"},
		{"mirror: CertificateUntrusted: x509: unknown authority"},
	} {
		for _, w := range want {
			if !strings.Contains(lines[i], w) {
				t.Errorf("line %d %q lacks %q", i, lines[i], w)
			}
		}
	}
}
