package ova

import (
	"archive/tar"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/template"
	"time"
)

// Spec describes the OVA that Write produces.
type Spec struct {
	// Name is the virtual system's ID and name, and the base name of the
	// descriptor and manifest (<Name>.ovf, <Name>.mf).
	Name string
	// Annotation is a free-text description.
	Annotation string
	// OS is the guest OS. ID defaults to "36" (CIM "LINUX") and Type to
	// "otherLinux64Guest".
	OS OSInfo
	// Product fills the ProductSection's product information.
	Product ProductInfo
	// Properties are the ProductSection properties: image metadata (OS,
	// Kubernetes and component versions, capabilities, ...) and the OVF
	// properties a user may set at deployment. Type defaults to "string".
	Properties []Property
	// Firmware is "bios" (the default) or "efi".
	Firmware string
	// HardwareVersion is the virtual hardware version; 19 when zero.
	HardwareVersion int32
	// CPUs and MemoryMiB are the virtual hardware defaults; 2 and 2048 when
	// zero.
	CPUs, MemoryMiB int64
	// Disks are the disk payloads, the boot disk first.
	Disks []DiskSource
	// ModTime stamps the archive's members; the zero time gives the Unix
	// epoch, so equal inputs make equal archives.
	ModTime time.Time
}

// DiskSource is a disk payload to package.
type DiskSource struct {
	// Path is the payload's file.
	Path string
	// Name is its member name; <Spec.Name>-disk<N><ext of Path> when empty.
	Name string
	// Format is its format URI; FormatRootFS when empty.
	Format string
	// Capacity is the disk's virtual size in bytes. When zero it is the
	// payload's size, or for FormatRootFS the size of the uncompressed tar.
	Capacity int64
}

// WriteFile writes the OVA to path through a temporary file, so path never
// holds a partial archive.
func WriteFile(path string, spec Spec) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := Write(tmp, spec); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Write writes an OVA: the generated descriptor, the manifest, then the
// disks. Each disk is read twice, once to hash it for the manifest (which
// precedes it) and once to copy it.
func Write(w io.Writer, spec Spec) error {
	if err := checkName(spec.Name + ".ovf"); err != nil {
		return fmt.Errorf("name %q: %w", spec.Name, err)
	}
	if len(spec.Disks) == 0 {
		return fmt.Errorf("an OVA needs at least one disk")
	}
	disks := make([]diskEntry, len(spec.Disks))
	seen := map[string]bool{spec.Name + ".ovf": true, spec.Name + ".mf": true}
	for i, d := range spec.Disks {
		e, err := describeDisk(spec.Name, i, d)
		if err != nil {
			return err
		}
		if seen[e.Name] {
			return fmt.Errorf("disk %s: the name %s is used twice", d.Path, e.Name)
		}
		seen[e.Name] = true
		disks[i] = e
	}
	descriptor, err := renderDescriptor(spec, disks)
	if err != nil {
		return err
	}
	ovfName, mfName := spec.Name+".ovf", spec.Name+".mf"
	sums := map[string]string{}
	sums[ovfName], _, _ = HashReader("SHA256", bytes.NewReader(descriptor))
	names := []string{ovfName}
	for _, d := range disks {
		sums[d.Name] = d.SHA256
		names = append(names, d.Name)
	}
	manifest := FormatManifest(names, sums)

	tw := tar.NewWriter(w)
	mod := spec.ModTime
	if mod.IsZero() {
		mod = time.Unix(0, 0)
	}
	header := func(name string, size int64) *tar.Header {
		return &tar.Header{Name: name, Size: size, Mode: 0o644, ModTime: mod, Typeflag: tar.TypeReg, Format: tar.FormatUnknown}
	}
	for _, m := range []struct {
		name string
		data []byte
	}{{ovfName, descriptor}, {mfName, manifest}} {
		if err := tw.WriteHeader(header(m.name, int64(len(m.data)))); err != nil {
			return err
		}
		if _, err := tw.Write(m.data); err != nil {
			return err
		}
	}
	for _, d := range disks {
		if err := copyDisk(tw, header(d.Name, d.Size), d); err != nil {
			return err
		}
	}
	return tw.Close()
}

type diskEntry struct {
	DiskSource
	ID       string
	FileID   string
	Size     int64
	SHA256   string
	Capacity int64
}

func describeDisk(base string, i int, d DiskSource) (diskEntry, error) {
	e := diskEntry{DiskSource: d, ID: fmt.Sprintf("vmdisk%d", i+1), FileID: fmt.Sprintf("file%d", i+1)}
	if e.Format == "" {
		e.Format = FormatRootFS
	}
	if e.Name == "" {
		ext := filepath.Ext(d.Path)
		if strings.HasSuffix(d.Path, ".tar.gz") {
			ext = ".tar.gz"
		}
		e.Name = fmt.Sprintf("%s-disk%d%s", base, i+1, ext)
	}
	if err := checkName(e.Name); err != nil {
		return e, fmt.Errorf("disk %s: %w", d.Path, err)
	}
	if !SupportedFormat(e.Format) {
		return e, fmt.Errorf("disk %s: format %q is not supported", d.Path, e.Format)
	}
	f, err := os.Open(d.Path)
	if err != nil {
		return e, err
	}
	defer f.Close()
	if e.SHA256, e.Size, err = HashReader("SHA256", f); err != nil {
		return e, fmt.Errorf("reading disk %s: %w", d.Path, err)
	}
	e.Capacity = d.Capacity
	if e.Capacity == 0 {
		e.Capacity = e.Size
		if e.Format == FormatRootFS {
			if _, err := f.Seek(0, io.SeekStart); err != nil {
				return e, err
			}
			if e.Capacity, err = RootFSSize(f); err != nil {
				return e, fmt.Errorf("disk %s: %w", d.Path, err)
			}
		}
	}
	return e, nil
}

func copyDisk(tw *tar.Writer, hdr *tar.Header, d diskEntry) error {
	f, err := os.Open(d.Path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	n, err := io.Copy(tw, f)
	if err != nil {
		return fmt.Errorf("copying disk %s: %w", d.Path, err)
	}
	if n != d.Size {
		return fmt.Errorf("disk %s changed while it was packaged", d.Path)
	}
	return nil
}

func renderDescriptor(spec Spec, disks []diskEntry) ([]byte, error) {
	s := spec
	if s.OS.ID == "" {
		s.OS.ID = "36"
	}
	if s.OS.Type == "" {
		s.OS.Type = "otherLinux64Guest"
	}
	if s.Firmware == "" {
		s.Firmware = "bios"
	}
	if s.HardwareVersion == 0 {
		s.HardwareVersion = 19
	}
	if s.CPUs == 0 {
		s.CPUs = 2
	}
	if s.MemoryMiB == 0 {
		s.MemoryMiB = 2048
	}
	props := make([]Property, len(s.Properties))
	for i, p := range s.Properties {
		if p.Type == "" {
			p.Type = "string"
		}
		props[i] = p
	}
	var buf bytes.Buffer
	err := descriptorTemplate.Execute(&buf, struct {
		Spec
		Disks      []diskEntry
		Properties []Property
	}{s, disks, props})
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func xmlEscape(v any) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(fmt.Sprint(v)))
	return b.String()
}

var descriptorTemplate = template.Must(template.New("ovf").Funcs(template.FuncMap{
	"x":    xmlEscape,
	"inc":  func(i int) int { return i + 1 },
	"bool": strconv.FormatBool,
}).Parse(`<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:cim="http://schemas.dmtf.org/wbem/wscim/1/common" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData" xmlns:vmw="http://www.vmware.com/schema/ovf" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <References>
{{- range .Disks}}
    <File ovf:id="{{.FileID}}" ovf:href="{{x .Name}}" ovf:size="{{.Size}}"/>
{{- end}}
  </References>
  <DiskSection>
    <Info>Virtual disks</Info>
{{- range .Disks}}
    <Disk ovf:diskId="{{.ID}}" ovf:fileRef="{{.FileID}}" ovf:capacity="{{.Capacity}}" ovf:capacityAllocationUnits="byte" ovf:populatedSize="{{.Capacity}}" ovf:format="{{x .Format}}"/>
{{- end}}
  </DiskSection>
  <VirtualSystem ovf:id="{{x .Name}}">
    <Info>A virtual machine</Info>
    <Name>{{x .Name}}</Name>
{{- if .Annotation}}
    <AnnotationSection>
      <Info>Description</Info>
      <Annotation>{{x .Annotation}}</Annotation>
    </AnnotationSection>
{{- end}}
    <OperatingSystemSection ovf:id="{{x .OS.ID}}"{{if .OS.Version}} ovf:version="{{x .OS.Version}}"{{end}} vmw:osType="{{x .OS.Type}}">
      <Info>The guest operating system</Info>
{{- if .OS.Description}}
      <Description>{{x .OS.Description}}</Description>
{{- end}}
    </OperatingSystemSection>
    <ProductSection>
      <Info>Image information</Info>
{{- if .Product.Product}}
      <Product>{{x .Product.Product}}</Product>
{{- end}}
{{- if .Product.Vendor}}
      <Vendor>{{x .Product.Vendor}}</Vendor>
{{- end}}
{{- if .Product.Version}}
      <Version>{{x .Product.Version}}</Version>
{{- end}}
{{- if .Product.FullVersion}}
      <FullVersion>{{x .Product.FullVersion}}</FullVersion>
{{- end}}
{{- range .Properties}}
      <Property ovf:key="{{x .Key}}" ovf:type="{{x .Type}}" ovf:userConfigurable="{{bool .UserConfigurable}}" ovf:value="{{x .Value}}"
{{- if or .Label .Description}}>
{{- if .Label}}
        <Label>{{x .Label}}</Label>
{{- end}}
{{- if .Description}}
        <Description>{{x .Description}}</Description>
{{- end}}
      </Property>
{{- else}}/>
{{- end}}
{{- end}}
    </ProductSection>
    <VirtualHardwareSection>
      <Info>Virtual hardware requirements</Info>
      <System>
        <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>
        <vssd:InstanceID>0</vssd:InstanceID>
        <vssd:VirtualSystemIdentifier>{{x .Name}}</vssd:VirtualSystemIdentifier>
        <vssd:VirtualSystemType>vmx-{{.HardwareVersion}}</vssd:VirtualSystemType>
      </System>
      <Item>
        <rasd:AllocationUnits>hertz * 10^6</rasd:AllocationUnits>
        <rasd:Description>Number of virtual CPUs</rasd:Description>
        <rasd:ElementName>{{.CPUs}} virtual CPU(s)</rasd:ElementName>
        <rasd:InstanceID>1</rasd:InstanceID>
        <rasd:ResourceType>3</rasd:ResourceType>
        <rasd:VirtualQuantity>{{.CPUs}}</rasd:VirtualQuantity>
      </Item>
      <Item>
        <rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits>
        <rasd:Description>Memory size</rasd:Description>
        <rasd:ElementName>{{.MemoryMiB}}MB of memory</rasd:ElementName>
        <rasd:InstanceID>2</rasd:InstanceID>
        <rasd:ResourceType>4</rasd:ResourceType>
        <rasd:VirtualQuantity>{{.MemoryMiB}}</rasd:VirtualQuantity>
      </Item>
{{- range $i, $d := .Disks}}
      <Item>
        <rasd:AddressOnParent>{{$i}}</rasd:AddressOnParent>
        <rasd:ElementName>Hard disk {{inc $i}}</rasd:ElementName>
        <rasd:HostResource>ovf:/disk/{{$d.ID}}</rasd:HostResource>
        <rasd:InstanceID>{{inc (inc (inc $i))}}</rasd:InstanceID>
        <rasd:ResourceType>17</rasd:ResourceType>
      </Item>
{{- end}}
      <vmw:Config ovf:required="false" vmw:key="firmware" vmw:value="{{x .Firmware}}"/>
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
`))
