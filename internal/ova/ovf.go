package ova

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"

	"math/big"
	"regexp"
	"strconv"
	"strings"
)

// Disk format URIs (DiskSection/Disk ovf:format).
const (
	// FormatRootFS is kubevisor's own disk format: a tar archive of a root
	// file system, plain or gzip-compressed (told apart by its first bytes).
	FormatRootFS = "https://kubevisor.io/ovf/rootfs-tar"
	// FormatVMDKStreamOptimized is VMware's stream-optimized VMDK, the
	// disk format of OVAs exported from vSphere.
	FormatVMDKStreamOptimized = "http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"
	// formatVMDKPrefix matches every VMDK flavour.
	formatVMDKPrefix = "http://www.vmware.com/interfaces/specifications/vmdk.html"
)

// SupportedFormat reports whether a disk format is one kubevisor handles.
func SupportedFormat(format string) bool {
	return format == FormatRootFS || strings.HasPrefix(format, formatVMDKPrefix)
}

// Envelope is the part of an OVF 1.x descriptor kubevisor reads. Element
// and attribute names are matched without their namespace, so descriptors
// from any tool that uses the standard names parse.
type Envelope struct {
	XMLName       xml.Name       `xml:"Envelope"`
	References    []FileRef      `xml:"References>File"`
	Disks         []DiskElement  `xml:"DiskSection>Disk"`
	VirtualSystem *VirtualSystem `xml:"VirtualSystem"`
	// Collection is set when the descriptor holds a
	// VirtualSystemCollection (a vApp), which is not supported.
	Collection *struct{} `xml:"VirtualSystemCollection"`
}

// FileRef is one References/File.
type FileRef struct {
	ID          string `xml:"id,attr"`
	Href        string `xml:"href,attr"`
	Size        string `xml:"size,attr"`
	Compression string `xml:"compression,attr"`
	ChunkSize   string `xml:"chunkSize,attr"`
}

// DiskElement is one DiskSection/Disk.
type DiskElement struct {
	DiskID                  string `xml:"diskId,attr"`
	FileRef                 string `xml:"fileRef,attr"`
	Capacity                string `xml:"capacity,attr"`
	CapacityAllocationUnits string `xml:"capacityAllocationUnits,attr"`
	Format                  string `xml:"format,attr"`
	PopulatedSize           string `xml:"populatedSize,attr"`
}

// VirtualSystem is the Envelope's VirtualSystem.
type VirtualSystem struct {
	ID              string                   `xml:"id,attr"`
	Name            string                   `xml:"Name"`
	Annotation      string                   `xml:"AnnotationSection>Annotation"`
	OperatingSystem *OperatingSystemSection  `xml:"OperatingSystemSection"`
	Products        []ProductSection         `xml:"ProductSection"`
	Hardware        []VirtualHardwareSection `xml:"VirtualHardwareSection"`
}

// OperatingSystemSection describes the guest OS.
type OperatingSystemSection struct {
	// ID is the CIM operating system type (ovf:id).
	ID string `xml:"id,attr"`
	// Version is ovf:version.
	Version string `xml:"version,attr"`
	// OSType is VMware's guest ID (vmw:osType), such as "ubuntu64Guest".
	OSType      string `xml:"osType,attr"`
	Description string `xml:"Description"`
}

// ProductSection describes the product and carries properties.
type ProductSection struct {
	Class       string            `xml:"class,attr"`
	Instance    string            `xml:"instance,attr"`
	Product     string            `xml:"Product"`
	Vendor      string            `xml:"Vendor"`
	Version     string            `xml:"Version"`
	FullVersion string            `xml:"FullVersion"`
	ProductURL  string            `xml:"ProductUrl"`
	VendorURL   string            `xml:"VendorUrl"`
	Properties  []PropertyElement `xml:"Property"`
}

// PropertyElement is one ProductSection/Property.
type PropertyElement struct {
	Key              string `xml:"key,attr"`
	Type             string `xml:"type,attr"`
	Qualifiers       string `xml:"qualifiers,attr"`
	UserConfigurable string `xml:"userConfigurable,attr"`
	Value            string `xml:"value,attr"`
	Password         string `xml:"password,attr"`
	Label            string `xml:"Label"`
	Description      string `xml:"Description"`
}

// VirtualHardwareSection describes the virtual hardware.
type VirtualHardwareSection struct {
	SystemType  string        `xml:"System>VirtualSystemType"`
	Items       []RASDItem    `xml:"Item"`
	Config      []VMwareValue `xml:"Config"`
	ExtraConfig []VMwareValue `xml:"ExtraConfig"`
}

// RASDItem is one virtual hardware Item.
type RASDItem struct {
	ResourceType    string `xml:"ResourceType"`
	VirtualQuantity string `xml:"VirtualQuantity"`
	AllocationUnits string `xml:"AllocationUnits"`
	HostResource    string `xml:"HostResource"`
	ElementName     string `xml:"ElementName"`
}

// VMwareValue is a vmw:Config or vmw:ExtraConfig key and value.
type VMwareValue struct {
	Key   string `xml:"key,attr"`
	Value string `xml:"value,attr"`
}

// Parse parses an OVF descriptor. It returns an *Error wrapping ErrCorrupt
// when the XML does not parse or is not an OVF Envelope.
func Parse(data []byte) (*Envelope, error) {
	env := &Envelope{}
	dec := xml.NewDecoder(bytes.NewReader(data))
	// OVF descriptors are UTF-8; anything declaring another charset is
	// read as is rather than rejected.
	dec.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	if err := dec.Decode(env); err != nil {
		return nil, errorf(ErrCorrupt, "", "descriptor is not an OVF envelope: %v", err)
	}
	return env, nil
}

// Info is what an OVF descriptor says about its image.
type Info struct {
	// Name is the virtual system's name (or its ID when it has none).
	Name string `json:"name,omitempty"`
	// Annotation is the descriptor's free-text description.
	Annotation string `json:"annotation,omitempty"`
	// OS is the guest operating system.
	OS OSInfo `json:"os,omitzero"`
	// Product is the first ProductSection's product information.
	Product ProductInfo `json:"product,omitzero"`
	// Firmware is "bios" or "efi".
	Firmware string `json:"firmware,omitempty"`
	// HardwareVersion is the virtual hardware version (19 for vmx-19), or
	// 0 when not stated.
	HardwareVersion int32 `json:"hardwareVersion,omitempty"`
	// CPUs and MemoryMiB are the virtual hardware defaults, 0 when absent.
	CPUs      int64 `json:"cpus,omitempty"`
	MemoryMiB int64 `json:"memoryMiB,omitempty"`
	// Disks are the disks, in descriptor order; the first is the boot disk.
	Disks []DiskInfo `json:"disks,omitempty"`
	// Properties are every ProductSection property, in order, under their
	// fully qualified keys.
	Properties []Property `json:"properties,omitempty"`
}

// OSInfo describes the guest OS.
type OSInfo struct {
	// ID is the CIM operating system type, such as "94" (64-bit Ubuntu).
	ID string `json:"id,omitempty"`
	// Type is VMware's guest ID, such as "ubuntu64Guest".
	Type string `json:"type,omitempty"`
	// Version is the OS version.
	Version string `json:"version,omitempty"`
	// Description is the free-text description.
	Description string `json:"description,omitempty"`
}

// ProductInfo is a ProductSection's product information.
type ProductInfo struct {
	Product     string `json:"product,omitempty"`
	Vendor      string `json:"vendor,omitempty"`
	Version     string `json:"version,omitempty"`
	FullVersion string `json:"fullVersion,omitempty"`
}

// DiskInfo describes one disk.
type DiskInfo struct {
	// ID is the disk's ID in the descriptor.
	ID string `json:"id"`
	// File is the archive member holding the disk.
	File string `json:"file"`
	// Format is the disk format URI.
	Format string `json:"format"`
	// Capacity is the virtual size in bytes, 0 when not stated.
	Capacity int64 `json:"capacity,omitempty"`
	// PopulatedSize is the estimated used size in bytes, 0 when not stated.
	PopulatedSize int64 `json:"populatedSize,omitempty"`
}

// Property is one ProductSection property.
type Property struct {
	// Key is the fully qualified key: [class.]key[.instance].
	Key string `json:"key"`
	// Type is the OVF type ("string", "boolean", "uint32", ...).
	Type string `json:"type,omitempty"`
	// Value is the default value.
	Value string `json:"value,omitempty"`
	// UserConfigurable says a user may set the property at deployment.
	UserConfigurable bool `json:"userConfigurable,omitempty"`
	// Label and Description are for people.
	Label       string `json:"label,omitempty"`
	Description string `json:"description,omitempty"`
}

// Metadata returns the properties as a map from key to value.
func (i *Info) Metadata() map[string]string {
	m := make(map[string]string, len(i.Properties))
	for _, p := range i.Properties {
		m[p.Key] = p.Value
	}
	return m
}

// Summarize extracts an Info from a parsed descriptor.
func Summarize(env *Envelope) Info {
	var info Info
	files := map[string]string{}
	for _, f := range env.References {
		files[f.ID] = f.Href
	}
	for _, d := range env.Disks {
		capacity, _ := parseCapacity(d.Capacity, d.CapacityAllocationUnits)
		populated, _ := strconv.ParseInt(d.PopulatedSize, 10, 64)
		info.Disks = append(info.Disks, DiskInfo{ID: d.DiskID, File: files[d.FileRef], Format: d.Format, Capacity: capacity, PopulatedSize: populated})
	}
	vs := env.VirtualSystem
	if vs == nil {
		return info
	}
	info.Name = strings.TrimSpace(vs.Name)
	if info.Name == "" {
		info.Name = vs.ID
	}
	info.Annotation = strings.TrimSpace(vs.Annotation)
	if os := vs.OperatingSystem; os != nil {
		info.OS = OSInfo{ID: os.ID, Type: os.OSType, Version: os.Version, Description: strings.TrimSpace(os.Description)}
	}
	for i, p := range vs.Products {
		if i == 0 || info.Product == (ProductInfo{}) {
			info.Product = ProductInfo{
				Product: strings.TrimSpace(p.Product), Vendor: strings.TrimSpace(p.Vendor),
				Version: strings.TrimSpace(p.Version), FullVersion: strings.TrimSpace(p.FullVersion),
			}
		}
		for _, prop := range p.Properties {
			key := prop.Key
			if p.Class != "" {
				key = p.Class + "." + key
			}
			if p.Instance != "" {
				key = key + "." + p.Instance
			}
			info.Properties = append(info.Properties, Property{
				Key: key, Type: prop.Type, Value: prop.Value,
				UserConfigurable: prop.UserConfigurable == "true" || prop.UserConfigurable == "1",
				Label:            strings.TrimSpace(prop.Label), Description: strings.TrimSpace(prop.Description),
			})
		}
	}
	for _, hw := range vs.Hardware {
		if info.HardwareVersion == 0 {
			info.HardwareVersion = hardwareVersion(hw.SystemType)
		}
		for _, c := range hw.Config {
			if c.Key == "firmware" && info.Firmware == "" {
				info.Firmware = c.Value
			}
		}
		for _, item := range hw.Items {
			q, err := strconv.ParseInt(strings.TrimSpace(item.VirtualQuantity), 10, 64)
			if err != nil {
				continue
			}
			switch strings.TrimSpace(item.ResourceType) {
			case "3":
				if info.CPUs == 0 {
					info.CPUs = q
				}
			case "4":
				if info.MemoryMiB == 0 {
					bytes, err := scaleUnits(q, item.AllocationUnits)
					if err == nil {
						info.MemoryMiB = bytes >> 20
					}
				}
			}
		}
	}
	if info.Firmware == "" {
		info.Firmware = "bios"
	}
	return info
}

var vmxVersion = regexp.MustCompile(`vmx-(\d+)`)

// hardwareVersion reads the first "vmx-N" of a VirtualSystemType.
func hardwareVersion(systemType string) int32 {
	m := vmxVersion.FindStringSubmatch(systemType)
	if m == nil {
		return 0
	}
	v, err := strconv.ParseInt(m[1], 10, 32)
	if err != nil {
		return 0
	}
	return int32(v)
}

// parseCapacity reads a disk capacity with its allocation units (bytes
// when none are given).
func parseCapacity(capacity, units string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(capacity), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("capacity %q: %w", capacity, err)
	}
	return scaleUnits(n, units)
}

// scaleUnits multiplies n by programmatic units such as "byte",
// "byte * 2^20", "MegaBytes" or "byte * 1024 * 1024".
func scaleUnits(n int64, units string) (int64, error) {
	u := strings.ToLower(strings.ReplaceAll(units, " ", ""))
	switch u {
	case "", "byte", "bytes":
		return n, nil
	case "kilobytes", "kb":
		u = "byte*2^10"
	case "megabytes", "mb":
		u = "byte*2^20"
	case "gigabytes", "gb":
		u = "byte*2^30"
	}
	factors, ok := strings.CutPrefix(u, "byte*")
	if !ok {
		return 0, fmt.Errorf("allocation units %q are not supported", units)
	}
	scale := big.NewInt(1)
	for _, f := range strings.Split(factors, "*") {
		base, exp, hasExp := strings.Cut(f, "^")
		b, err := strconv.ParseInt(base, 10, 64)
		if err != nil || b <= 0 {
			return 0, fmt.Errorf("allocation units %q are not supported", units)
		}
		e := int64(1)
		if hasExp {
			if e, err = strconv.ParseInt(exp, 10, 64); err != nil || e < 0 || e > 64 {
				return 0, fmt.Errorf("allocation units %q are not supported", units)
			}
		}
		scale.Mul(scale, new(big.Int).Exp(big.NewInt(b), big.NewInt(e), nil))
	}
	v := new(big.Int).Mul(scale, big.NewInt(n))
	if !v.IsInt64() {
		return 0, fmt.Errorf("capacity %d %s is too large", n, units)
	}
	return v.Int64(), nil
}
