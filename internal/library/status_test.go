package library

import (
	"errors"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	imgregv1 "github.com/kubevisor/kubevisor/api/imageregistry/v1alpha1"
	vmopv1 "github.com/kubevisor/kubevisor/api/vmoperator/v1alpha3"
	"github.com/kubevisor/kubevisor/internal/ova"
)

func TestItemStatus(t *testing.T) {
	stored := time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC)
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	files := []ova.File{{Name: "a.ovf", Size: 100, SHA256: "aa"}, {Name: "a-disk1.tar", Size: 1 << 20, SHA256: "bb"}}
	lib := imgregv1.NameAndKindRef{Kind: KindClusterContentLibrary, Name: "tkr"}

	tests := []struct {
		name        string
		facts       ItemFacts
		wantReady   metav1.ConditionStatus
		wantReason  string
		wantCached  bool
		wantStorage bool
		wantSync    bool
	}{
		{"stored local item", ItemFacts{Name: "a", Library: lib, ContentVersion: "1", Files: files, Cached: true, StorageDir: "/x/files", Stored: stored},
			metav1.ConditionTrue, imgregv1.TrueReason, true, true, false},
		{"subscribed item not downloaded", ItemFacts{Name: "a", Library: lib, SourceID: "src", ContentVersion: "7", Files: files},
			metav1.ConditionTrue, imgregv1.TrueReason, false, false, false},
		{"subscribed item downloaded", ItemFacts{Name: "a", Library: lib, SourceID: "src", ContentVersion: "7", Files: files, Cached: true, StorageDir: "/x", Stored: stored},
			metav1.ConditionTrue, imgregv1.TrueReason, true, true, true},
		{"tampered download", ItemFacts{Name: "a", Library: lib, SourceID: "src", Files: files, Problem: ProblemOf(&ova.Error{Err: ova.ErrTampered, Detail: "digest"})},
			metav1.ConditionFalse, imgregv1.ContentDigestMismatchReason, false, false, false},
		{"unreachable publisher", ItemFacts{Name: "a", Library: lib, SourceID: "src", Problem: ProblemOf(errors.New("connection refused"))},
			metav1.ConditionFalse, imgregv1.ContentLibraryItemFileUnavailableReason, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := ItemStatus(imgregv1.ContentLibraryItemStatus{}, tt.facts, created)
			c := meta.FindStatusCondition(st.Conditions, imgregv1.ReadyConditionType)
			if c == nil || c.Status != tt.wantReady || c.Reason != tt.wantReason {
				t.Fatalf("Ready = %+v, want %s/%s", c, tt.wantReady, tt.wantReason)
			}
			if st.Cached != tt.wantCached || st.Name != "a" || st.ContentLibraryRef.Name != "tkr" || st.Type != imgregv1.ContentLibraryItemTypeOvf {
				t.Errorf("status %+v", st)
			}
			if st.CreationTime == nil || !st.CreationTime.Time.Equal(created) {
				t.Errorf("creationTime %v", st.CreationTime)
			}
			if len(tt.facts.Files) > 0 {
				if len(st.FileInfo) != 2 || st.FileInfo[1].SHA256 != "bb" || st.FileInfo[1].Cached != tt.wantCached || st.SizeInBytes.Value() != 100+1<<20 {
					t.Errorf("fileInfo %+v size %v", st.FileInfo, st.SizeInBytes)
				}
				if (st.FileInfo[0].StorageURI != "") != tt.wantStorage {
					t.Errorf("storageURI %q", st.FileInfo[0].StorageURI)
				}
			}
			if (st.LastSyncTime != nil) != tt.wantSync {
				t.Errorf("lastSyncTime %v", st.LastSyncTime)
			}
			// Recomputing from the result changes nothing: the
			// controller goes quiet.
			again := ItemStatus(st, tt.facts, created)
			if !equalJSON(t, st, again) {
				t.Errorf("status is not stable:\n%+v\n%+v", st, again)
			}
		})
	}
}

func TestImageStatus(t *testing.T) {
	ready := imgregv1.ContentLibraryItemStatus{Name: "ubuntu", ContentVersion: "3",
		Conditions: []metav1.Condition{{Type: imgregv1.ReadyConditionType, Status: metav1.ConditionTrue, Reason: imgregv1.TrueReason}}}
	broken := imgregv1.ContentLibraryItemStatus{Name: "ubuntu",
		Conditions: []metav1.Condition{{Type: imgregv1.ReadyConditionType, Status: metav1.ConditionFalse, Reason: imgregv1.ContentDigestMismatchReason, Message: "bad digest"}}}
	info := &ova.Info{
		OS: ova.OSInfo{ID: "94", Type: "ubuntu64Guest", Version: "22.04"}, Firmware: "efi", HardwareVersion: 19,
		Product: ova.ProductInfo{Product: "Ubuntu", Vendor: "Canonical", Version: "22.04", FullVersion: "22.04.5"},
		Disks:   []ova.DiskInfo{{Capacity: 10 << 30, PopulatedSize: 2 << 30}},
		Properties: []ova.Property{
			{Key: "user-data", Type: "string", UserConfigurable: true},
			{Key: "vmware-system.guest.kubernetes.distribution.image.version", Value: `{"kubernetes":"v1.36.3"}`},
			{Key: "internal", Value: "x"},
			{Key: CapabilitiesProperty, Value: "cloud-init, nvidia-gpu"},
		},
	}
	tests := []struct {
		name       string
		item       imgregv1.ContentLibraryItemStatus
		info       *ova.Info
		wantReady  metav1.ConditionStatus
		wantReason string
	}{
		{"ready", ready, info, metav1.ConditionTrue, vmopv1.TrueReason},
		{"item not ready", broken, info, metav1.ConditionFalse, vmopv1.VirtualMachineImageProviderNotReadyReason},
		{"descriptor unreadable", ready, nil, metav1.ConditionFalse, vmopv1.VirtualMachineImageNotSyncedReason},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := ImageStatus(vmopv1.VirtualMachineImageStatus{}, "uuid-1", &tt.item, tt.info, errors.New("no descriptor"))
			c := meta.FindStatusCondition(st.Conditions, vmopv1.ReadyConditionType)
			if c == nil || c.Status != tt.wantReady || c.Reason != tt.wantReason {
				t.Fatalf("Ready = %+v", c)
			}
			if st.Name != "ubuntu" || st.ProviderItemID != "uuid-1" || st.ProviderContentVersion != tt.item.ContentVersion || st.Type != "OVF" {
				t.Errorf("status %+v", st)
			}
			if tt.info == nil {
				return
			}
			if st.OSInfo.Type != "ubuntu64Guest" || st.OSInfo.ID != "94" || st.Firmware != "efi" || *st.HardwareVersion != 19 || st.ProductInfo.FullVersion != "22.04.5" {
				t.Errorf("status %+v", st)
			}
			if len(st.OVFProperties) != 1 || st.OVFProperties[0].Key != "user-data" || len(st.VMwareSystemProperties) != 1 {
				t.Errorf("properties %+v / %+v", st.OVFProperties, st.VMwareSystemProperties)
			}
			if len(st.Disks) != 1 || st.Disks[0].Capacity.Value() != 10<<30 || st.Disks[0].Size.Value() != 2<<30 {
				t.Errorf("disks %+v", st.Disks)
			}
			labels := ImageLabels(&st, "uid-1")
			for k, v := range map[string]string{
				ItemUIDLabel: "uid-1", vmopv1.VirtualMachineImageOSTypeLabel: "ubuntu64Guest", vmopv1.VirtualMachineImageOSVersionLabel: "22.04",
				vmopv1.VirtualMachineImageCapabilityLabel + "cloud-init": "true", vmopv1.VirtualMachineImageCapabilityLabel + "nvidia-gpu": "true",
			} {
				if labels[k] != v {
					t.Errorf("label %s = %q, want %q", k, labels[k], v)
				}
			}
			if again := ImageStatus(st, "uuid-1", &tt.item, tt.info, nil); !equalJSON(t, st, again) {
				t.Errorf("image status is not stable")
			}
		})
	}
}

func TestProblemOf(t *testing.T) {
	p := ProblemOf(&ova.Error{Err: ova.ErrCorrupt, Detail: "truncated"})
	if p.Reason != imgregv1.ContentLibraryItemFileUnavailableReason {
		t.Errorf("corrupt: %+v", p)
	}
	if p := ProblemOf(&ova.Error{Err: ova.ErrTampered, Detail: "x"}); p.Reason != imgregv1.ContentDigestMismatchReason {
		t.Errorf("tampered: %+v", p)
	}
}
