package builder

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/kubevisor/kubevisor/internal/mounts"
)

// preloadedMarkers is the directory, under containerd's root, where the
// node's preload-images script records the archives already imported
// (files/usr/lib/kubevisor/preload-images).
const preloadedMarkers = "io.kubevisor.preloaded"

// containerdDir is the node's /var/lib/containerd, made at build time.
func (b *build) containerdDir() string { return filepath.Join(b.o.Output, "containerd") }

// containerdStore imports every image archive into a containerd root, the
// way the node's containerd would at boot, with the node's own containerd
// and ctr (from the Debian base, run through the base's dynamic loader so
// that the host's C library does not matter). The root becomes the image's
// /var/lib/containerd: images already unpacked into overlayfs snapshots,
// and a marker per archive so that the node's preload-images service has
// nothing left to do. Unpacking into overlayfs snapshots mounts overlays,
// so this step needs root, like the debian step.
func (b *build) containerdStore(ctx context.Context) error {
	out := b.containerdDir()
	inputs := []string{"recipe=containerd/1", "base=" + b.base, "images=" + b.stampOf("images")}
	return b.step("containerd", inputs, []string{filepath.Join(out, preloadedMarkers)}, func() error {
		if os.Geteuid() != 0 {
			return errors.New("unpacking images into overlayfs snapshots needs root")
		}
		tmp := out + ".tmp"
		if err := mounts.UnmountBelow(tmp); err != nil {
			return err
		}
		if err := os.RemoveAll(tmp); err != nil {
			return err
		}
		if err := os.MkdirAll(tmp, 0o711); err != nil {
			return err
		}
		if err := b.importImages(ctx, tmp); err != nil {
			_ = mounts.UnmountBelow(tmp)
			return err
		}
		if err := os.RemoveAll(out); err != nil {
			return err
		}
		return os.Rename(tmp, out)
	})
}

// importImages runs containerd on root, imports the archives listed in
// SHA256SUMS into its k8s.io namespace, records them under
// preloadedMarkers, and stops it.
func (b *build) importImages(ctx context.Context, root string) error {
	state, err := os.MkdirTemp("", "tkr-containerd-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(state)
	sock := filepath.Join(state, "containerd.sock")
	// Only what importing needs: no CRI (it would look for CNI and start
	// its own loops) and no snapshotters but overlayfs and native.
	config := fmt.Sprintf(`version = 2
root = %q
state = %q
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]
[grpc]
  address = %q
[ttrpc]
  address = %q
`, root, filepath.Join(state, "state"), sock, sock+".ttrpc")
	cfgPath := filepath.Join(state, "config.toml")
	if err := os.WriteFile(cfgPath, []byte(config), 0o600); err != nil {
		return err
	}
	logPath := filepath.Join(state, "containerd.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logFile.Close()
	daemon, err := b.baseCommand(ctx, "usr/bin/containerd", "--config", cfgPath)
	if err != nil {
		return err
	}
	daemon.Stdout, daemon.Stderr = logFile, logFile
	daemon.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := daemon.Start(); err != nil {
		return fmt.Errorf("containerd: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- daemon.Wait() }()
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		_ = daemon.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = syscall.Kill(-daemon.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		return mounts.UnmountBelow(root)
	}
	defer stop() //nolint:errcheck // the error path already has its error

	failed := func(err error) error {
		log, _ := os.ReadFile(logPath)
		return fmt.Errorf("%w\ncontainerd's log:\n%s", err, tail(string(log), 40))
	}
	ctr := func(args ...string) ([]byte, error) {
		cmd, err := b.baseCommand(ctx, "usr/bin/ctr", append([]string{"--address", sock, "--namespace", "k8s.io"}, args...)...)
		if err != nil {
			return nil, err
		}
		return cmd.CombinedOutput()
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := ctr("version"); err == nil {
			break
		}
		select {
		case err := <-exited:
			exited <- err
			return failed(fmt.Errorf("containerd exited: %v", err))
		default:
		}
		if time.Now().After(deadline) {
			return failed(errors.New("containerd did not answer within 30 s"))
		}
		time.Sleep(100 * time.Millisecond)
	}

	sums, err := os.Open(filepath.Join(b.imagesDir(), "SHA256SUMS"))
	if err != nil {
		return err
	}
	defer sums.Close()
	markers := filepath.Join(root, preloadedMarkers)
	if err := os.MkdirAll(markers, 0o755); err != nil {
		return err
	}
	sc := bufio.NewScanner(sums)
	for sc.Scan() {
		sum, file, ok := strings.Cut(strings.TrimSpace(sc.Text()), "  ")
		if !ok {
			return fmt.Errorf("SHA256SUMS: malformed line %q", sc.Text())
		}
		if out, err := ctr("images", "import", filepath.Join(b.imagesDir(), file)); err != nil {
			return failed(fmt.Errorf("importing %s: %w: %s", file, err, strings.TrimSpace(string(out))))
		}
		if err := os.WriteFile(filepath.Join(markers, sum), nil, 0o644); err != nil {
			return err
		}
		b.logf("containerd imported %s", file)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if err := stop(); err != nil {
		return err
	}
	// What only a running containerd uses.
	return os.RemoveAll(filepath.Join(root, "tmpmounts"))
}

// baseCommand runs a dynamically linked program of the Debian base with
// the base's own loader and libraries.
func (b *build) baseCommand(ctx context.Context, program string, args ...string) (*exec.Cmd, error) {
	libs := []string{filepath.Join(b.base, "usr/lib/x86_64-linux-gnu"), filepath.Join(b.base, "lib/x86_64-linux-gnu")}
	loader := filepath.Join(libs[0], "ld-linux-x86-64.so.2")
	if _, err := os.Stat(loader); err != nil {
		return nil, fmt.Errorf("the base's dynamic loader: %w", err)
	}
	full := append([]string{"--library-path", strings.Join(libs, ":"), filepath.Join(b.base, program)}, args...)
	return exec.CommandContext(ctx, loader, full...), nil
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
