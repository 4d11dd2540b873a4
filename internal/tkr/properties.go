package tkr

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"

	"sigs.k8s.io/yaml"

	runv1 "github.com/kubevisor/kubevisor/api/run/v1alpha3"
	"github.com/kubevisor/kubevisor/internal/ova"
)

// OVF ProductSection property keys of a TKR OVA.
const (
	// PropertyDistribution holds the Kubernetes distribution as JSON (see
	// Distribution); vm-operator takes an image that has it for a TKG image.
	PropertyDistribution = "vmware-system.guest.kubernetes.distribution.image.version"
	// PropertyOSType, PropertyOSName, PropertyOSVersion and PropertyOSArch
	// describe the node OS, as vm-operator reads them.
	PropertyOSType    = "vmware-system.tkr.os-type"
	PropertyOSName    = "vmware-system.tkr.os-name"
	PropertyOSVersion = "vmware-system.tkr.os-version"
	PropertyOSArch    = "vmware-system.tkr.os-arch"
	// PropertyTKR holds the TanzuKubernetesRelease as an EmbeddedObject.
	PropertyTKR = "vmware-system.tkr"
	// PropertyOSImages holds the OSImages as a JSON list of {name, value}
	// (value: gzip-compressed, base64-encoded YAML).
	PropertyOSImages = "vmware-system.tkr.osi"
	// PropertyRelease holds the whole Release as JSON: kubevisor's own key,
	// the one FromProperties prefers.
	PropertyRelease = "kubevisor.tkr.release"
)

// Distribution is the value of PropertyDistribution: the release version
// and, for each component, its version (an image tag) and image
// repository.
type Distribution struct {
	Version    string       `json:"version"`
	Kubernetes ImageVersion `json:"kubernetes"`
	Etcd       ImageVersion `json:"etcd"`
	CoreDNS    ImageVersion `json:"coredns"`
	Pause      ImageVersion `json:"pause"`
}

// ImageVersion is one component of a Distribution.
type ImageVersion struct {
	Version         string `json:"version"`
	ImageRepository string `json:"imageRepository,omitempty"`
}

// EmbeddedObject is the value of PropertyTKR: an object's YAML,
// gzip-compressed and base64-encoded, as VMware's TKR OVAs carry it.
type EmbeddedObject struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	Version string `json:"version,omitempty"`
	Value   string `json:"value"`
}

type namedValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Properties are the OVF ProductSection properties of the release's OVA,
// published as the content library item imageName.
func (r Release) Properties(imageName string) ([]ova.Property, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	dist, err := json.Marshal(Distribution{
		Version:    r.Version(),
		Kubernetes: ImageVersion{Version: r.KubernetesVersion(), ImageRepository: r.ImageRepository},
		Etcd:       ImageVersion{Version: r.EtcdTag, ImageRepository: r.ImageRepository},
		CoreDNS:    ImageVersion{Version: r.CoreDNSTag, ImageRepository: r.ImageRepository},
		Pause:      ImageVersion{Version: r.PauseTag, ImageRepository: r.ImageRepository},
	})
	if err != nil {
		return nil, err
	}
	rel, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	tkrYAML, err := yaml.Marshal(r.TanzuKubernetesRelease())
	if err != nil {
		return nil, err
	}
	tkrValue, err := encodeObject(tkrYAML)
	if err != nil {
		return nil, err
	}
	tkrProp, err := json.Marshal(EmbeddedObject{Name: r.Name(), Type: "inline", Version: r.Version(), Value: tkrValue})
	if err != nil {
		return nil, err
	}
	osiYAML, err := yaml.Marshal(r.OSImage(imageName))
	if err != nil {
		return nil, err
	}
	osiValue, err := encodeObject(osiYAML)
	if err != nil {
		return nil, err
	}
	osiProp, err := json.Marshal([]namedValue{{Name: r.OSImageName(), Value: osiValue}})
	if err != nil {
		return nil, err
	}
	return []ova.Property{
		{Key: PropertyDistribution, Value: string(dist), Label: "Kubernetes distribution"},
		{Key: PropertyOSType, Value: r.OS.Type},
		{Key: PropertyOSName, Value: r.OS.Name},
		{Key: PropertyOSVersion, Value: r.OS.Version},
		{Key: PropertyOSArch, Value: r.OS.Arch},
		{Key: PropertyTKR, Value: string(tkrProp), Label: "TanzuKubernetesRelease " + r.Name()},
		{Key: PropertyOSImages, Value: string(osiProp), Label: "OSImage " + r.OSImageName()},
		{Key: PropertyRelease, Value: string(rel), Label: "kubevisor TKR " + r.Name()},
	}, nil
}

// ErrNotTKR says an image's properties describe no Kubernetes release.
var ErrNotTKR = errors.New("not a Kubernetes release image")

// FromProperties reads a Release back from an OVA's properties (as
// ova.Info.Metadata returns them): from PropertyRelease when present,
// otherwise from the distribution JSON and the OS keys of a VMware TKR OVA,
// in which case Build is whatever follows the Kubernetes build in the
// release version. It returns ErrNotTKR when neither is there.
func FromProperties(props map[string]string) (Release, error) {
	var r Release
	if v, ok := props[PropertyRelease]; ok {
		if err := json.Unmarshal([]byte(v), &r); err != nil {
			return r, fmt.Errorf("property %s: %w", PropertyRelease, err)
		}
		return r, r.Validate()
	}
	v, ok := props[PropertyDistribution]
	if !ok {
		return r, ErrNotTKR
	}
	var d Distribution
	if err := json.Unmarshal([]byte(v), &d); err != nil {
		return r, fmt.Errorf("property %s: %w", PropertyDistribution, err)
	}
	core, _, _ := bytes.Cut([]byte(d.Kubernetes.Version), []byte("+"))
	r = Release{
		Kubernetes:      "v" + string(bytes.TrimPrefix(core, []byte("v"))),
		ImageRepository: d.Kubernetes.ImageRepository,
		EtcdTag:         d.Etcd.Version,
		CoreDNSTag:      d.CoreDNS.Version,
		PauseTag:        d.Pause.Version,
		OS:              OS{Type: props[PropertyOSType], Name: props[PropertyOSName], Version: props[PropertyOSVersion], Arch: props[PropertyOSArch]},
	}
	if prefix := r.KubernetesVersion() + "-"; len(d.Version) > len(prefix) && d.Version[:len(prefix)] == prefix {
		r.Build = d.Version[len(prefix):]
	}
	return r, nil
}

// Objects decodes the TanzuKubernetesRelease and OSImages an OVA carries in
// PropertyTKR and PropertyOSImages. It returns ErrNotTKR when there is no
// TKR.
func Objects(props map[string]string) (*runv1.TanzuKubernetesRelease, []*runv1.OSImage, error) {
	v, ok := props[PropertyTKR]
	if !ok {
		return nil, nil, ErrNotTKR
	}
	var e EmbeddedObject
	if err := json.Unmarshal([]byte(v), &e); err != nil {
		return nil, nil, fmt.Errorf("property %s: %w", PropertyTKR, err)
	}
	data, err := decodeObject(e.Value)
	if err != nil {
		return nil, nil, fmt.Errorf("property %s: %w", PropertyTKR, err)
	}
	tkr := &runv1.TanzuKubernetesRelease{}
	if err := yaml.Unmarshal(stripDocumentMarker(data), tkr); err != nil {
		return nil, nil, fmt.Errorf("property %s: %w", PropertyTKR, err)
	}
	var osImages []*runv1.OSImage
	if v, ok := props[PropertyOSImages]; ok {
		var list []namedValue
		if err := json.Unmarshal([]byte(v), &list); err != nil {
			return nil, nil, fmt.Errorf("property %s: %w", PropertyOSImages, err)
		}
		for _, nv := range list {
			data, err := decodeObject(nv.Value)
			if err != nil {
				return nil, nil, fmt.Errorf("property %s, %s: %w", PropertyOSImages, nv.Name, err)
			}
			osi := &runv1.OSImage{}
			if err := yaml.Unmarshal(stripDocumentMarker(data), osi); err != nil {
				return nil, nil, fmt.Errorf("property %s, %s: %w", PropertyOSImages, nv.Name, err)
			}
			osImages = append(osImages, osi)
		}
	}
	sort.Slice(osImages, func(i, j int) bool { return osImages[i].Name < osImages[j].Name })
	return tkr, osImages, nil
}

func encodeObject(data []byte) (string, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return "", err
	}
	if _, err := zw.Write(data); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}

// maxObjectBytes bounds a decoded embedded object.
const maxObjectBytes = 1 << 20

func decodeObject(value string) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(value)
	if err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(zr, maxObjectBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxObjectBytes {
		return nil, fmt.Errorf("the object is larger than %d bytes", maxObjectBytes)
	}
	return data, nil
}

// stripDocumentMarker drops a leading "---" line, which VMware's embedded
// objects start with.
func stripDocumentMarker(data []byte) []byte {
	trimmed := bytes.TrimLeft(data, "\n")
	if bytes.HasPrefix(trimmed, []byte("---\n")) {
		return trimmed[4:]
	}
	return data
}
