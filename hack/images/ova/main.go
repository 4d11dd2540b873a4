package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kubevisor/kubevisor/internal/library"
	"github.com/kubevisor/kubevisor/internal/ova"
)

// properties collects repeated key=value flags.
type properties struct {
	list []ova.Property
	user bool
}

func (p *properties) String() string { return "" }

func (p *properties) Set(v string) error {
	key, value, ok := strings.Cut(v, "=")
	if key == "" || (!ok && !p.user) {
		return fmt.Errorf("%q is not key=value", v)
	}
	p.list = append(p.list, ova.Property{Key: key, Value: value, UserConfigurable: p.user})
	return nil
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "ova: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("ova", flag.ContinueOnError)
	var (
		spec      ova.Spec
		disk      ova.DiskSource
		out       string
		osName    string
		cloudInit bool
		caps      string
		props     = &properties{}
		userProps = &properties{user: true}
	)
	fs.StringVar(&disk.Path, "rootfs", "", "root file system tarball (.tar or .tar.gz) or disk file (required)")
	fs.StringVar(&disk.Format, "format", ova.FormatRootFS, "disk format URI (a VMDK: "+ova.FormatVMDKStreamOptimized+")")
	fs.Int64Var(&disk.Capacity, "capacity", 0, "disk capacity in bytes (default: the uncompressed tarball's size)")
	fs.StringVar(&out, "o", "", "output .ova (required)")
	fs.StringVar(&spec.Name, "name", "", "virtual system name (default: the output file's name without .ova)")
	fs.StringVar(&spec.Annotation, "annotation", "", "description")
	fs.StringVar(&spec.OS.ID, "os-id", "36", "CIM operating system type (36: Linux, 94: 64-bit Ubuntu, 101: 64-bit Linux)")
	fs.StringVar(&spec.OS.Type, "os-type", "otherLinux64Guest", "VMware guest ID")
	fs.StringVar(&spec.OS.Version, "os-version", "", "OS version")
	fs.StringVar(&osName, "os-name", "", "OS name (the kubevisor.os.name property, e.g. ubuntu, photon, busybox)")
	fs.StringVar(&spec.OS.Description, "os-description", "", "OS description")
	fs.StringVar(&spec.Product.Product, "product", "", "product name")
	fs.StringVar(&spec.Product.Vendor, "vendor", "", "vendor")
	fs.StringVar(&spec.Product.Version, "version", "", "product version")
	fs.StringVar(&spec.Product.FullVersion, "full-version", "", "full product version")
	fs.StringVar(&spec.Firmware, "firmware", "bios", "bios or efi")
	fs.Int64Var(&spec.CPUs, "cpus", 2, "default virtual CPUs")
	fs.Int64Var(&spec.MemoryMiB, "memory-mib", 2048, "default memory in MiB")
	fs.BoolVar(&cloudInit, "cloud-init", false, "declare cloud-init's OVF properties (user-data, hostname, instance-id, public-keys) and the cloud-init capability")
	fs.StringVar(&caps, "capabilities", "", "comma-separated image capabilities (the "+library.CapabilitiesProperty+" property)")
	fs.Var(props, "property", "image metadata property key=value (repeatable)")
	fs.Var(userProps, "user-property", "user-settable OVF property key[=default] (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if disk.Path == "" || out == "" {
		return fmt.Errorf("-rootfs and -o are required")
	}
	if spec.Name == "" {
		spec.Name = strings.TrimSuffix(filepath.Base(out), ".ova")
	}
	if osName != "" {
		spec.Properties = append(spec.Properties, ova.Property{Key: "kubevisor.os.name", Value: osName})
	}
	if cloudInit {
		caps = strings.Trim(caps+",cloud-init", ",")
		for _, k := range []string{"instance-id", "hostname", "public-keys", "user-data"} {
			spec.Properties = append(spec.Properties, ova.Property{Key: k, UserConfigurable: true})
		}
	}
	if caps != "" {
		spec.Properties = append(spec.Properties, ova.Property{Key: library.CapabilitiesProperty, Value: caps})
	}
	spec.Properties = append(spec.Properties, props.list...)
	spec.Properties = append(spec.Properties, userProps.list...)
	spec.Disks = []ova.DiskSource{disk}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	if err := ova.WriteFile(out, spec); err != nil {
		return err
	}
	fmt.Println(out)
	return nil
}
