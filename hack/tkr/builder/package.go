package builder

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"sigs.k8s.io/yaml"

	"github.com/kubevisor/kubevisor/internal/ova"
)

// itemName is the OVA's base name, which a content library seeded from the
// output directory takes as the item's name: <os>-<version>-<arch>-<tkr>,
// after VMware's newest TKR item names.
func (b *build) itemName() string {
	o := b.release.OS
	return fmt.Sprintf("%s-%s-%s-%s", o.Name, o.Version, o.Arch, b.release.Name())
}

func (b *build) ovaPath() string { return filepath.Join(b.o.Output, b.itemName()+".ova") }

// pkg packages the root file system as the release's OVA, with the release
// in its ProductSection, and writes the release's objects next to it.
func (b *build) pkg(ctx context.Context) error {
	props, err := b.release.Properties(b.itemName())
	if err != nil {
		return err
	}
	var propInputs []string
	for _, p := range props {
		propInputs = append(propInputs, p.Key+"="+p.Value)
	}
	inputs := append([]string{"recipe=package/1", "rootfs=" + b.stampOf("rootfs"), "name=" + b.itemName()}, propInputs...)
	objects := filepath.Join(b.o.Output, "tkr.yaml")
	return b.step("package", inputs, []string{b.ovaPath(), objects}, func() error {
		tkrYAML, err := yaml.Marshal(b.release.TanzuKubernetesRelease())
		if err != nil {
			return err
		}
		osiYAML, err := yaml.Marshal(b.release.OSImage(b.itemName()))
		if err != nil {
			return err
		}
		var docs bytes.Buffer
		fmt.Fprintf(&docs, "# The objects that publish %s (the OVA %s.ova).\n---\n", b.release.Name(), b.itemName())
		docs.Write(tkrYAML)
		docs.WriteString("---\n")
		docs.Write(osiYAML)
		if err := os.WriteFile(objects, docs.Bytes(), 0o644); err != nil {
			return err
		}
		return ova.WriteFile(b.ovaPath(), ova.Spec{
			Name:       b.itemName(),
			Annotation: fmt.Sprintf("kubevisor Kubernetes release %s: Kubernetes %s on Debian %s", b.release.Version(), b.release.Kubernetes, b.release.OS.Version),
			OS:         ova.OSInfo{ID: "96", Type: "debian12_64Guest", Version: b.release.OS.Version, Description: "Debian GNU/Linux " + b.release.OS.Version + " (64-bit)"},
			Product: ova.ProductInfo{
				Product: "kubevisor Kubernetes release", Vendor: "kubevisor",
				Version: b.release.Version(), FullVersion: b.release.Version(),
			},
			Properties: props,
			Disks:      []ova.DiskSource{{Path: b.rootfsPath()}},
			ModTime:    b.modTime,
		})
	})
}
