package builder

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kubevisor/kubevisor/config/addons"
	"github.com/kubevisor/kubevisor/internal/imagearchive"
	"github.com/kubevisor/kubevisor/internal/tkr"
)

// imagePath is the PATH every image sets, so that kubeadm's manifests can
// run their command by name.
const imagePath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// imageSpec says how one component image is made.
type imageSpec struct {
	component string
	// binary is the host binary it wraps, installed at /usr/local/bin/<component>.
	binary string
	// entrypoint is where the image runs it from (default
	// /usr/local/bin/<component>); when it differs, the binary lives there
	// and /usr/local/bin/<component> links to it.
	entrypoint string
	user       string
	// iptables adds iptables and nft with their libraries (kube-proxy).
	iptables bool
	// group says which nodes import it at boot: groupNode (every node) or
	// groupControlPlane (imported by kubeadm init or a control-plane join).
	group string
	// names are the image's references when they are not the release's
	// (the add-ons' and tools' images have fixed names).
	names []string
}

// Image groups (see files/usr/lib/kubevisor/preload-images).
const (
	groupNode         = "node"
	groupControlPlane = "control-plane"
)

func (b *build) imageSpecs() []imageSpec {
	k8s := func(c string) string { return filepath.Join(b.binDir("k8s"), c) }
	return []imageSpec{
		{component: tkr.KubeAPIServer, binary: k8s("kube-apiserver"), group: groupControlPlane},
		{component: tkr.KubeControllerManager, binary: k8s("kube-controller-manager"), group: groupControlPlane},
		{component: tkr.KubeScheduler, binary: k8s("kube-scheduler"), group: groupControlPlane},
		{component: tkr.Etcd, binary: k8s("etcd"), group: groupControlPlane},
		{component: tkr.KubeProxy, binary: k8s("kube-proxy"), iptables: true, group: groupNode},
		// CoreDNS's Deployment (kubeadm's addon) gives only args: the
		// entrypoint is /coredns, as in CoreDNS's image.
		{component: tkr.CoreDNS, binary: filepath.Join(b.binDir("coredns"), "coredns"), entrypoint: "/coredns", group: groupNode},
		// The pause image runs /pause as 65535, as Kubernetes' does.
		{component: tkr.Pause, binary: filepath.Join(b.binDir("pause"), "pause"), entrypoint: "/pause", user: "65535:65535", group: groupNode},
		// The pod network add-on (config/addons/kubevisor-cni.yaml): it
		// programs masquerade rules with iptables-restore.
		{component: "kubevisor-cni", binary: filepath.Join(b.binDir("kubevisor"), "kubevisor-cni"), iptables: true, group: groupNode,
			names: []string{addons.KubevisorCNIImage}},
		// The test workload (hack/tkr/httpecho), as nonroot.
		{component: "httpecho", binary: filepath.Join(b.binDir("kubevisor"), "httpecho"), user: "65532:65532", group: groupNode,
			names: []string{tkr.HTTPEchoImage}},
	}
}

// imageNames are the references of a component image.
func (b *build) imageNames(s imageSpec) []string {
	if s.names != nil {
		return s.names
	}
	return b.release.ImageNames()[s.component]
}

func (b *build) imagesDir() string { return filepath.Join(b.o.Output, "images") }

// imageLists are the digest lists written next to the archives.
var imageLists = []string{"SHA256SUMS", groupNode + ".sha256", groupControlPlane + ".sha256"}

// images writes one docker archive per component image into <out>/images,
// with gzip-compressed layers (importing moves a third of the bytes), and
// their digests: all of them in SHA256SUMS, and each preload group's in
// <group>.sha256.
func (b *build) images(ctx context.Context) error {
	inputs := []string{"recipe=images/3", "release=" + b.release.Name(), "repository=" + b.o.ImageRepository,
		"kubernetes=" + b.stampOf("kubernetes"), "coredns=" + b.stampOf("coredns"), "pause=" + b.stampOf("pause"),
		"kubevisor=" + b.stampOf("kubevisor"), "base=" + b.base}
	var outputs []string
	for _, s := range b.imageSpecs() {
		inputs = append(inputs, s.component+"="+strings.Join(b.imageNames(s), ","))
		outputs = append(outputs, filepath.Join(b.imagesDir(), s.component+".tar"))
	}
	for _, f := range imageLists {
		outputs = append(outputs, filepath.Join(b.imagesDir(), f))
	}
	return b.step("images", inputs, outputs, func() error {
		tmp := b.imagesDir() + ".tmp"
		if err := os.RemoveAll(tmp); err != nil {
			return err
		}
		if err := os.MkdirAll(tmp, 0o755); err != nil {
			return err
		}
		base, err := b.imageBase()
		if err != nil {
			return err
		}
		lists := map[string]*strings.Builder{}
		for _, f := range imageLists {
			lists[f] = &strings.Builder{}
		}
		for _, s := range b.imageSpecs() {
			img, err := b.image(s, b.imageNames(s), base)
			if err != nil {
				return fmt.Errorf("image %s: %w", s.component, err)
			}
			file := filepath.Join(tmp, s.component+".tar")
			if err := imagearchive.WriteFile(file, img); err != nil {
				return fmt.Errorf("image %s: %w", s.component, err)
			}
			sum, err := hashFile(file)
			if err != nil {
				return err
			}
			line := fmt.Sprintf("%s  %s\n", sum, s.component+".tar")
			lists["SHA256SUMS"].WriteString(line)
			lists[s.group+".sha256"].WriteString(line)
		}
		for name, l := range lists {
			if err := os.WriteFile(filepath.Join(tmp, name), []byte(l.String()), 0o644); err != nil {
				return err
			}
		}
		return replaceDir(tmp, b.imagesDir())
	})
}

// imageBase is the layer every image shares, like a distroless static
// base: users, name service switch, CA certificates, /tmp.
func (b *build) imageBase() (imagearchive.Layer, error) {
	certs := filepath.Join(b.base, "etc/ssl/certs/ca-certificates.crt")
	if _, err := os.Stat(certs); err != nil {
		return nil, fmt.Errorf("the base has no CA bundle: %w", err)
	}
	return imagearchive.Layer{
		{Path: "etc/passwd", Data: []byte("root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n" +
			"nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n")},
		{Path: "etc/group", Data: []byte("root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n")},
		{Path: "etc/nsswitch.conf", Data: []byte("hosts: files dns\n")},
		{Path: "etc/os-release", Data: []byte(fmt.Sprintf("NAME=\"kubevisor static\"\nID=kubevisor-static\nVERSION_ID=%q\n", b.release.Version()))},
		{Path: "etc/ssl/certs/ca-certificates.crt", Source: certs},
		{Path: "home/nonroot", Type: imagearchive.Dir, Mode: 0o700, UID: 65532, GID: 65532},
		{Path: "root", Type: imagearchive.Dir, Mode: 0o700},
		{Path: "tmp", Type: imagearchive.Dir, Mode: 0o1777},
		{Path: "var/run", Type: imagearchive.Symlink, Link: "../run"},
		{Path: "run", Type: imagearchive.Dir},
	}, nil
}

func (b *build) image(s imageSpec, names []string, base imagearchive.Layer) (imagearchive.Image, error) {
	bin := "/usr/local/bin/" + s.component
	entry := s.entrypoint
	if entry == "" {
		entry = bin
	}
	top := imagearchive.Layer{{Path: entry, Source: s.binary, Mode: 0o755}}
	if entry != bin {
		top = append(top, imagearchive.File{Path: bin, Type: imagearchive.Symlink, Link: entry})
	}
	if s.iptables {
		files, err := b.iptablesFiles()
		if err != nil {
			return imagearchive.Image{}, err
		}
		top = append(top, files...)
	}
	return imagearchive.Image{
		Names: names,
		Config: imagearchive.Config{
			Entrypoint: []string{entry},
			Env:        []string{imagePath},
			User:       s.user,
			Labels: map[string]string{
				"org.opencontainers.image.title":   s.component,
				"org.opencontainers.image.version": strings.SplitN(names[0], ":", 2)[1],
				"org.opencontainers.image.vendor":  "kubevisor",
				"run.tanzu.vmware.com/tkr":         b.release.Name(),
			},
		},
		Layers:   []imagearchive.Layer{base, top},
		Created:  b.modTime,
		Compress: true,
	}, nil
}

// iptablesFiles are kube-proxy's packet filter tools from the Debian base:
// iptables and ip6tables (nf_tables backend, xtables-nft-multi) with their
// save/restore commands and extensions, and nft, each with its shared
// libraries.
func (b *build) iptablesFiles() ([]imagearchive.File, error) {
	r := newRootFiles(b.base)
	for _, p := range []string{
		"/usr/sbin/iptables", "/usr/sbin/iptables-save", "/usr/sbin/iptables-restore",
		"/usr/sbin/ip6tables", "/usr/sbin/ip6tables-save", "/usr/sbin/ip6tables-restore",
		"/usr/sbin/iptables-nft", "/usr/sbin/iptables-nft-save", "/usr/sbin/iptables-nft-restore",
		"/usr/sbin/ip6tables-nft", "/usr/sbin/ip6tables-nft-save", "/usr/sbin/ip6tables-nft-restore",
		"/usr/sbin/nft", "/etc/protocols", "/etc/ethertypes",
	} {
		if err := r.add(p); err != nil {
			return nil, err
		}
	}
	if err := r.addDir("/usr/lib/x86_64-linux-gnu/xtables"); err != nil {
		return nil, err
	}
	return r.layer(), nil
}
