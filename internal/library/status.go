package library

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	imgregv1 "github.com/kubevisor/kubevisor/api/imageregistry/v1alpha1"
	vmopv1 "github.com/kubevisor/kubevisor/api/vmoperator/v1alpha3"
	"github.com/kubevisor/kubevisor/internal/ova"
)

// CapabilitiesProperty is the OVF property that lists an image's
// capabilities (status.capabilities of its images), separated by commas.
const CapabilitiesProperty = "kubevisor.capabilities"

// Problem is why an item or image is not ready: a condition reason and a
// message for people.
type Problem struct {
	Reason  string
	Message string
}

func (p *Problem) Error() string { return p.Message }

// ProblemOf classifies an error about an item's content: tampering becomes
// ContentDigestMismatch, anything else ContentLibraryItemFileUnavailable.
func ProblemOf(err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	if errors.Is(err, ova.ErrTampered) {
		return &Problem{Reason: imgregv1.ContentDigestMismatchReason, Message: err.Error()}
	}
	return &Problem{Reason: imgregv1.ContentLibraryItemFileUnavailableReason, Message: err.Error()}
}

// ItemFacts are what the item's status is computed from.
type ItemFacts struct {
	// Name and Description are the item's display name and description.
	Name, Description string
	// Library is the library the item belongs to.
	Library imgregv1.NameAndKindRef
	// SourceID is the publisher's item UUID (subscribed libraries).
	SourceID string
	// ContentVersion is the version of the content described by Files.
	ContentVersion string
	// Files are the item's files, stored or announced.
	Files []ova.File
	// Cached says Files are stored locally, in StorageDir.
	Cached     bool
	StorageDir string
	// Stored is when the content was stored (zero if it is not).
	Stored time.Time
	// Problem is why the item is not ready; nil when it is.
	Problem *Problem
}

// FactsFromRecord are the facts of a locally stored item.
func FactsFromRecord(rec *Record, library imgregv1.NameAndKindRef, description string) ItemFacts {
	return ItemFacts{
		Name: rec.Name, Description: description, Library: library,
		ContentVersion: rec.ContentVersion, Files: rec.Files,
		Cached: true, StorageDir: rec.FilesDir(), Stored: rec.Stored,
	}
}

// ItemStatus computes an item's status from facts. prev is the current
// status, whose condition transition times and creation time are kept;
// created is the object's creation time.
func ItemStatus(prev imgregv1.ContentLibraryItemStatus, f ItemFacts, created time.Time) imgregv1.ContentLibraryItemStatus {
	lib := f.Library
	out := imgregv1.ContentLibraryItemStatus{
		Name:              f.Name,
		ContentLibraryRef: &lib,
		Description:       f.Description,
		MetadataVersion:   "1",
		ContentVersion:    f.ContentVersion,
		Type:              imgregv1.ContentLibraryItemTypeOvf,
		SourceID:          f.SourceID,
		Cached:            f.Cached,
		CreationTime:      prev.CreationTime,
		LastModifiedTime:  prev.LastModifiedTime,
		LastSyncTime:      prev.LastSyncTime,
		Conditions:        append([]metav1.Condition(nil), prev.Conditions...),
	}
	if out.CreationTime == nil && !created.IsZero() {
		out.CreationTime = &metav1.Time{Time: created}
	}
	var size int64
	for i, file := range f.Files {
		size += file.Size
		if i >= 64 {
			continue
		}
		fi := imgregv1.FileInfo{
			Name:        file.Name,
			SizeInBytes: *resource.NewQuantity(file.Size, resource.BinarySI),
			Version:     f.ContentVersion,
			Cached:      f.Cached,
			SHA256:      file.SHA256,
		}
		if f.Cached && f.StorageDir != "" {
			fi.StorageURI = "file://" + filepath.Join(f.StorageDir, file.Name)
		}
		out.FileInfo = append(out.FileInfo, fi)
	}
	if len(f.Files) > 0 {
		out.SizeInBytes = *resource.NewQuantity(size, resource.BinarySI)
	}
	if !f.Stored.IsZero() {
		stored := metav1.NewTime(f.Stored.UTC().Truncate(time.Second))
		out.LastModifiedTime = &stored
		if f.SourceID != "" {
			out.LastSyncTime = &stored
		}
	}
	setItemReady(&out, f.Problem)
	return out
}

func setItemReady(st *imgregv1.ContentLibraryItemStatus, p *Problem) {
	c := metav1.Condition{Type: imgregv1.ReadyConditionType, Status: metav1.ConditionTrue, Reason: imgregv1.TrueReason}
	if p != nil {
		c.Status, c.Reason, c.Message = metav1.ConditionFalse, p.Reason, truncate(p.Message, 32<<10)
	}
	meta.SetStatusCondition(&st.Conditions, c)
}

// ItemProblem returns why an item is not ready, from its Ready condition,
// or nil when it is ready.
func ItemProblem(st *imgregv1.ContentLibraryItemStatus) *Problem {
	c := meta.FindStatusCondition(st.Conditions, imgregv1.ReadyConditionType)
	switch {
	case c == nil:
		return &Problem{Reason: vmopv1.VirtualMachineImageProviderNotReadyReason, Message: "the library item has no Ready condition yet"}
	case c.Status != metav1.ConditionTrue:
		return &Problem{Reason: c.Reason, Message: c.Message}
	}
	return nil
}

// ImageStatus computes the status of an image made from an item: the
// item's status and the facts of its OVF descriptor (info, nil when it
// could not be read: infoErr says why). prev is the image's current status.
func ImageStatus(prev vmopv1.VirtualMachineImageStatus, itemUUID string, item *imgregv1.ContentLibraryItemStatus, info *ova.Info, infoErr error) vmopv1.VirtualMachineImageStatus {
	out := vmopv1.VirtualMachineImageStatus{
		Name:                   item.Name,
		Type:                   string(imgregv1.ContentLibraryItemTypeOvf),
		ProviderItemID:         itemUUID,
		ProviderContentVersion: item.ContentVersion,
		Conditions:             append([]metav1.Condition(nil), prev.Conditions...),
	}
	if info != nil {
		out.Firmware = info.Firmware
		if info.HardwareVersion > 0 {
			v := info.HardwareVersion
			out.HardwareVersion = &v
		}
		out.OSInfo = vmopv1.VirtualMachineImageOSInfo{ID: clip(info.OS.ID, 128), Type: clip(info.OS.Type, 128), Version: clip(info.OS.Version, 128)}
		out.ProductInfo = vmopv1.VirtualMachineImageProductInfo{
			Product: clip(info.Product.Product, 512), Vendor: clip(info.Product.Vendor, 512),
			Version: clip(info.Product.Version, 256), FullVersion: clip(info.Product.FullVersion, 512),
		}
		for _, p := range info.Properties {
			if len(p.Key) > 256 || p.Key == "" {
				continue
			}
			switch {
			case strings.HasPrefix(p.Key, "vmware-system"):
				if len(out.VMwareSystemProperties) < 512 {
					out.VMwareSystemProperties = append(out.VMwareSystemProperties, vmopv1.KeyValuePair{Key: p.Key, Value: p.Value})
				}
			case p.UserConfigurable:
				if len(out.OVFProperties) < 512 && len(p.Value) <= 65536 {
					def := p.Value
					typ := p.Type
					if typ == "" {
						typ = "string"
					}
					out.OVFProperties = append(out.OVFProperties, vmopv1.OVFProperty{Key: p.Key, Type: clip(typ, 256), Default: &def})
				}
			}
			if p.Key == CapabilitiesProperty {
				for _, c := range strings.Split(p.Value, ",") {
					if c = strings.TrimSpace(c); c != "" && len(c) <= 256 && len(out.Capabilities) < 64 {
						out.Capabilities = append(out.Capabilities, c)
					}
				}
			}
		}
		for i, d := range info.Disks {
			if i >= 64 {
				break
			}
			var disk vmopv1.VirtualMachineImageDiskInfo
			if d.Capacity > 0 {
				disk.Capacity = resource.NewQuantity(d.Capacity, resource.BinarySI)
			}
			if d.PopulatedSize > 0 {
				disk.Size = resource.NewQuantity(d.PopulatedSize, resource.BinarySI)
			}
			out.Disks = append(out.Disks, disk)
		}
	}

	c := metav1.Condition{Type: vmopv1.ReadyConditionType, Status: metav1.ConditionTrue, Reason: vmopv1.TrueReason}
	if p := ItemProblem(item); p != nil {
		c.Status, c.Reason = metav1.ConditionFalse, vmopv1.VirtualMachineImageProviderNotReadyReason
		c.Message = truncate(fmt.Sprintf("library item %s is not ready (%s): %s", item.Name, p.Reason, p.Message), 32<<10)
	} else if info == nil {
		c.Status, c.Reason = metav1.ConditionFalse, vmopv1.VirtualMachineImageNotSyncedReason
		c.Message = "the item's OVF descriptor cannot be read"
		if infoErr != nil {
			c.Message += ": " + truncate(infoErr.Error(), 32<<10)
		}
	}
	meta.SetStatusCondition(&out.Conditions, c)
	return out
}

// ImageLabels are the labels vm-operator puts on an image so that it can be
// selected by OS, type and capability, plus the item's UID.
func ImageLabels(st *vmopv1.VirtualMachineImageStatus, itemUID string) map[string]string {
	labels := map[string]string{ItemUIDLabel: itemUID}
	set := func(k, v string) {
		if v != "" && len(validation.IsValidLabelValue(v)) == 0 {
			labels[k] = v
		}
	}
	set(vmopv1.VirtualMachineImageOSIDLabel, st.OSInfo.ID)
	set(vmopv1.VirtualMachineImageOSTypeLabel, st.OSInfo.Type)
	set(vmopv1.VirtualMachineImageOSVersionLabel, st.OSInfo.Version)
	set(vmopv1.VirtualMachineImageTypeLabel, st.Type)
	for _, c := range st.Capabilities {
		if k := vmopv1.VirtualMachineImageCapabilityLabel + c; len(validation.IsQualifiedName(k)) == 0 {
			labels[k] = "true"
		}
	}
	return labels
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}
