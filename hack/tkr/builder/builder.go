package builder

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/kubevisor/kubevisor/internal/tkr"
)

// Options say what to build and where.
type Options struct {
	// Kubernetes is the Kubernetes version, such as v1.36.3.
	Kubernetes string
	// Build is the distribution build suffix, such as kubevisor.1.
	Build string
	// ImageRepository is the image repository the images are named under.
	ImageRepository string
	// Output is the release's directory (build/tkr/<version>).
	Output string
	// Cache holds what several versions share: the Debian base.
	Cache string
	// Repo is kubevisor's source tree (for hack/tkr/pause).
	Repo string
	// Mirror and SecurityMirror are Debian's package mirrors; Suite is the
	// Debian release.
	Mirror, SecurityMirror, Suite string
	// CNIVersion is the containernetworking/plugins version.
	CNIVersion string
	// Go is the go command.
	Go string
	// Only, when set, runs just these steps (their inputs must exist).
	Only []string
	// Log receives progress.
	Log io.Writer
}

// Defaults.
const (
	DefaultKubernetes      = "v1.36.3"
	DefaultBuild           = "kubevisor.1"
	DefaultImageRepository = "kubevisor.local/k8s"
	DefaultMirror          = "http://deb.debian.org/debian"
	DefaultSecurityMirror  = "http://deb.debian.org/debian-security"
	DefaultSuite           = "bookworm"
	DefaultCNIVersion      = "v1.10.0"
)

// debianVersions maps a suite to its version number, for the OS metadata.
var debianVersions = map[string]string{"bookworm": "12", "trixie": "13"}

// build is one run's state.
type build struct {
	o       Options
	release tkr.Release
	// versions of the modules built, from kubeadm's constants.
	etcdModule, corednsModule string
	// modTime is the Kubernetes module's publication time: every file the
	// builder makes is stamped with it.
	modTime   time.Time
	goVersion string
	// base is the Debian root file system.
	base    string
	timings []timing
}

type timing struct {
	step    string
	took    time.Duration
	skipped bool
}

// Run builds the release, skipping the steps that are up to date.
func Run(ctx context.Context, o Options) error {
	b := &build{o: o}
	if b.o.Log == nil {
		b.o.Log = io.Discard
	}
	var err error
	if b.o.Output, err = filepath.Abs(o.Output); err != nil {
		return err
	}
	if b.o.Cache, err = filepath.Abs(o.Cache); err != nil {
		return err
	}
	if b.o.Repo, err = filepath.Abs(o.Repo); err != nil {
		return err
	}
	suiteVersion, ok := debianVersions[o.Suite]
	if !ok {
		return fmt.Errorf("debian suite %q: want one of bookworm, trixie", o.Suite)
	}
	if err := os.MkdirAll(filepath.Join(b.o.Output, ".stamps"), 0o755); err != nil {
		return err
	}
	started := time.Now()
	if err := b.resolve(ctx, suiteVersion); err != nil {
		return err
	}
	steps := []struct {
		name string
		run  func(context.Context) error
	}{
		{"module", b.module},
		{"kubernetes", b.kubernetes},
		{"coredns", b.coredns},
		{"cni", b.cni},
		{"pause", b.pause},
		{"kubevisor", b.kubevisor},
		{"debian", b.debian},
		{"images", b.images},
		{"containerd", b.containerdStore},
		{"rootfs", b.rootfs},
		{"package", b.pkg},
	}
	only := map[string]bool{}
	for _, s := range o.Only {
		only[s] = true
	}
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		if len(only) > 0 && !only[s.name] {
			continue
		}
		if err := s.run(ctx); err != nil {
			return fmt.Errorf("step %s: %w", s.name, err)
		}
	}
	if len(only) > 0 {
		return nil
	}
	b.logf("release %s built in %s: %s", b.release.Name(), time.Since(started).Round(time.Second), b.ovaPath())
	return b.writeTimings()
}

func (b *build) logf(format string, args ...any) {
	fmt.Fprintf(b.o.Log, "tkr: "+format+"\n", args...)
}

// step runs fn unless the stamp of name records the same fingerprint and
// every output exists. inputs are the lines the fingerprint is made of.
func (b *build) step(name string, inputs []string, outputs []string, fn func() error) error {
	fp := fingerprint(inputs)
	stampPath := filepath.Join(b.o.Output, ".stamps", name+".json")
	var st stamp
	if data, err := os.ReadFile(stampPath); err == nil && json.Unmarshal(data, &st) == nil && st.Fingerprint == fp && allExist(outputs) {
		b.logf("%-10s up to date", name)
		b.timings = append(b.timings, timing{step: name, skipped: true})
		return nil
	}
	b.logf("%-10s building", name)
	_ = os.Remove(stampPath)
	start := time.Now()
	if err := fn(); err != nil {
		return err
	}
	took := time.Since(start)
	b.logf("%-10s done in %s", name, took.Round(100*time.Millisecond))
	b.timings = append(b.timings, timing{step: name, took: took})
	data, err := json.MarshalIndent(stamp{Fingerprint: fp, Inputs: inputs, Seconds: took.Seconds(), Finished: time.Now().UTC()}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(stampPath, append(data, '\n'), 0o644)
}

// stampOf returns the fingerprint a step last recorded, for the steps
// that depend on it.
func (b *build) stampOf(name string) string {
	var st stamp
	data, err := os.ReadFile(filepath.Join(b.o.Output, ".stamps", name+".json"))
	if err != nil || json.Unmarshal(data, &st) != nil {
		return "missing"
	}
	return st.Fingerprint
}

type stamp struct {
	Fingerprint string    `json:"fingerprint"`
	Inputs      []string  `json:"inputs"`
	Seconds     float64   `json:"seconds"`
	Finished    time.Time `json:"finished"`
}

func fingerprint(inputs []string) string {
	h := sha256.New()
	for _, in := range inputs {
		fmt.Fprintf(h, "%d:%s\n", len(in), in)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func allExist(paths []string) bool {
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			return false
		}
	}
	return true
}

// hashFile is the hex SHA-256 of a file.
func hashFile(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// writeTimings records this run's step times in <out>/timings.txt.
func (b *build) writeTimings() error {
	var sb strings.Builder
	fmt.Fprintf(&sb, "# TKR %s, %s, %d CPUs (%s)\n", b.release.Name(), b.goVersion, runtime.NumCPU(), time.Now().UTC().Format(time.RFC3339))
	for _, t := range b.timings {
		if t.skipped {
			fmt.Fprintf(&sb, "%-10s up to date\n", t.step)
			continue
		}
		fmt.Fprintf(&sb, "%-10s %s\n", t.step, t.took.Round(100*time.Millisecond))
	}
	return os.WriteFile(filepath.Join(b.o.Output, "timings.txt"), []byte(sb.String()), 0o644)
}

// replaceDir moves a finished directory into place, replacing what was
// there.
func replaceDir(tmp, dst string) error {
	old := dst + ".old"
	_ = os.RemoveAll(old)
	if err := os.Rename(dst, old); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.Rename(tmp, dst); err != nil {
		return err
	}
	return os.RemoveAll(old)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
