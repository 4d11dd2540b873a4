package builder

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/kubevisor/kubevisor/config/addons"
	"github.com/kubevisor/kubevisor/internal/tkr"
)

// module is one `go mod download -json` answer.
type module struct {
	Path, Version, Info, GoMod, Dir, Error string
}

// download fetches a module into the module cache (from the proxy when it
// is not there yet) and describes it.
func (b *build) download(ctx context.Context, path, version string) (module, error) {
	var m module
	out, err := b.goOutput(ctx, "", nil, "mod", "download", "-json", path+"@"+version)
	if jerr := json.Unmarshal(out, &m); jerr != nil {
		if err != nil {
			return m, err
		}
		return m, fmt.Errorf("go mod download %s@%s: %w", path, version, jerr)
	}
	if m.Error != "" {
		return m, fmt.Errorf("go mod download %s@%s: %s", path, version, m.Error)
	}
	return m, err
}

var (
	etcdDefaultRE = regexp.MustCompile(`(?m)^\s*DefaultEtcdVersion\s*=\s*"([^"]+)"`)
	corednsRE     = regexp.MustCompile(`(?m)^\s*CoreDNSVersion\s*=\s*"([^"]+)"`)
	pauseRE       = regexp.MustCompile(`(?m)^\s*PauseVersion\s*=\s*"([^"]+)"`)
	etcdTagRE     = regexp.MustCompile(`^([0-9]+\.[0-9]+\.[0-9]+)(-[0-9]+)?$`)
	stagingRE     = regexp.MustCompile(`(?m)^\s*(k8s\.io/[A-Za-z0-9._-]+)\s*=>\s*\./staging/src/`)
	minorRE       = regexp.MustCompile(`^v([0-9]+)\.([0-9]+)\.([0-9]+)$`)
)

// kubeadmVersions reads the etcd, CoreDNS and pause image tags kubeadm asks
// for from its constants, as kubeadm itself would pick them for minor.
func kubeadmVersions(constants []byte, minor string) (etcd, coredns, pause string, err error) {
	m := etcdDefaultRE.FindSubmatch(constants)
	if m == nil {
		return "", "", "", fmt.Errorf("kubeadm's constants have no DefaultEtcdVersion")
	}
	etcd = string(m[1])
	// SupportedEtcdVersion = map[uint8]string{ 36: "3.6.8-0", ... }
	if i := bytes.Index(constants, []byte("SupportedEtcdVersion = map[uint8]string{")); i >= 0 {
		block := constants[i:]
		if j := bytes.IndexByte(block, '}'); j >= 0 {
			if m := regexp.MustCompile(`(?m)^\s*` + minor + `:\s*"([^"]+)"`).FindSubmatch(block[:j]); m != nil {
				etcd = string(m[1])
			}
		}
	}
	c, p := corednsRE.FindSubmatch(constants), pauseRE.FindSubmatch(constants)
	if c == nil || p == nil {
		return "", "", "", fmt.Errorf("kubeadm's constants have no CoreDNSVersion or PauseVersion")
	}
	return etcd, string(c[1]), string(p[1]), nil
}

// resolve finds every version the release is made of.
func (b *build) resolve(ctx context.Context, suiteVersion string) error {
	mm := minorRE.FindStringSubmatch(b.o.Kubernetes)
	if mm == nil {
		return fmt.Errorf("kubernetes version %q: want vMAJOR.MINOR.PATCH", b.o.Kubernetes)
	}
	out, err := b.goOutput(ctx, "", nil, "env", "GOVERSION")
	if err != nil {
		return err
	}
	b.goVersion = strings.TrimSpace(string(out))

	k8s, err := b.download(ctx, "k8s.io/kubernetes", b.o.Kubernetes)
	if err != nil {
		return err
	}
	var info struct{ Time time.Time }
	if data, err := os.ReadFile(k8s.Info); err == nil {
		_ = json.Unmarshal(data, &info)
	}
	b.modTime = info.Time.UTC()
	if b.modTime.IsZero() {
		b.modTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	constants, err := os.ReadFile(filepath.Join(k8s.Dir, "cmd/kubeadm/app/constants/constants.go"))
	if err != nil {
		return fmt.Errorf("reading kubeadm's constants: %w", err)
	}
	etcdTag, corednsTag, pauseTag, err := kubeadmVersions(constants, mm[2])
	if err != nil {
		return err
	}
	em := etcdTagRE.FindStringSubmatch(etcdTag)
	if em == nil {
		return fmt.Errorf("etcd image tag %q: want X.Y.Z or X.Y.Z-N", etcdTag)
	}
	b.etcdModule, b.corednsModule = "v"+em[1], corednsTag
	b.release = tkr.Release{
		Kubernetes:      b.o.Kubernetes,
		Build:           b.o.Build,
		ImageRepository: b.o.ImageRepository,
		EtcdTag:         etcdTag,
		CoreDNSTag:      corednsTag,
		PauseTag:        pauseTag,
		OS:              tkr.OS{Type: "linux", Name: "debian", Version: suiteVersion, Arch: runtime.GOARCH},
		Components: map[string]string{
			"etcd": b.etcdModule, "coredns": b.corednsModule, "cni-plugins": b.o.CNIVersion,
			"pause": "kubevisor " + pauseTag, "go": b.goVersion,
			"kubevisor-cni": addons.KubevisorCNIImage, "httpecho": tkr.HTTPEchoImage,
		},
	}
	if err := b.release.Validate(); err != nil {
		return err
	}
	if err := b.resolveBase(); err != nil {
		return err
	}
	b.logf("Kubernetes %s (%s): etcd %s, CoreDNS %s, pause %s, CNI plugins %s, %s",
		b.o.Kubernetes, b.release.Name(), etcdTag, corednsTag, pauseTag, b.o.CNIVersion, b.goVersion)
	return nil
}

// staging lists the staging modules of a Kubernetes version (the
// k8s.io/<name> modules its go.mod replaces with ./staging/src/...).
func staging(goMod []byte) []string {
	var mods []string
	for _, m := range stagingRE.FindAllSubmatch(goMod, -1) {
		mods = append(mods, string(m[1]))
	}
	return mods
}

// goOutput runs the go command and returns its standard output; its
// standard error goes to the log.
func (b *build) goOutput(ctx context.Context, dir string, env []string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, b.o.Go, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("go %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// run runs a command with its output in the log.
func (b *build) run(ctx context.Context, dir string, env []string, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = b.o.Log, b.o.Log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return nil
}
