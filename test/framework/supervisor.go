package framework

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Bin returns the path of a built kubevisor binary. `make test` sets
// KUBEVISOR_BIN; otherwise the repository's bin/ is used.
func Bin(name string) (string, error) {
	dir := os.Getenv("KUBEVISOR_BIN")
	if dir == "" {
		root, err := repoRoot()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(root, "bin")
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%s not found (%w): run 'make build' first, or set KUBEVISOR_BIN", p, err)
	}
	return p, nil
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// SupervisorOptions configure a test Supervisor.
type SupervisorOptions struct {
	// DataDir defaults to a fresh temporary directory.
	DataDir string
	// DatastoreEndpoint defaults to the embedded SQLite database.
	DatastoreEndpoint string
	// ExtraArgs are appended to `kubevisor server`.
	ExtraArgs []string
	// SmallImagesOnly seeds the default content library with the small
	// busybox image only, not the Kubernetes release (hundreds of MB to
	// import), for Supervisors that run no workload cluster.
	SmallImagesOnly bool
}

// Supervisor is a `kubevisor server` process under test.
type Supervisor struct {
	Opts        SupervisorOptions
	Port        int
	WebhookPort int
	SSOPort     int
	// Log collects the process's output across restarts.
	Log *SyncBuffer

	bin string
	cmd *exec.Cmd
	// exited is closed when the current process has been reaped.
	exited chan struct{}
}

// SyncBuffer is a bytes.Buffer safe for concurrent writes and reads.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// NewSupervisor prepares a Supervisor; call Start to run it.
func NewSupervisor(opts SupervisorOptions) (*Supervisor, error) {
	bin, err := Bin("kubevisor")
	if err != nil {
		return nil, err
	}
	if opts.DataDir == "" {
		// Kept short: the datastore's unix socket lives in it.
		dir, err := os.MkdirTemp("", "kv-")
		if err != nil {
			return nil, err
		}
		opts.DataDir = dir
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	webhookPort, err := FreePort()
	if err != nil {
		return nil, err
	}
	ssoPort, err := FreePort()
	if err != nil {
		return nil, err
	}
	return &Supervisor{Opts: opts, Port: port, WebhookPort: webhookPort, SSOPort: ssoPort, Log: &SyncBuffer{}, bin: bin}, nil
}

// StartSupervisor starts a Supervisor, waits until it is ready and stops it
// when the test ends.
func StartSupervisor(t testing.TB, opts SupervisorOptions) *Supervisor {
	t.Helper()
	s, err := NewSupervisor(opts)
	if err != nil {
		t.Fatal(err)
	}
	if opts.DataDir == "" {
		t.Cleanup(func() { os.RemoveAll(s.Opts.DataDir) })
	}
	t.Cleanup(func() {
		if err := s.Stop(30 * time.Second); err != nil {
			t.Errorf("stopping supervisor: %v", err)
		}
		if t.Failed() {
			t.Logf("supervisor output:\n%s", s.Output())
		}
	})
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if err := s.WaitReady(3 * time.Minute); err != nil {
		t.Fatalf("%v\nsupervisor output:\n%s", err, s.Output())
	}
	return s
}

// Start starts the process without waiting for readiness.
func (s *Supervisor) Start() error {
	if s.cmd != nil {
		return errors.New("supervisor already running")
	}
	args := []string{"server",
		"--data-dir", s.Opts.DataDir,
		"--port", strconv.Itoa(s.Port),
		"--webhook-port", strconv.Itoa(s.WebhookPort),
		"--sso-port", strconv.Itoa(s.SSOPort),
	}
	if s.Opts.DatastoreEndpoint != "" {
		args = append(args, "--datastore-endpoint", s.Opts.DatastoreEndpoint)
	}
	if s.Opts.SmallImagesOnly {
		dir := filepath.Join(s.Opts.DataDir, "seed")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		small := filepath.Join(filepath.Dir(s.bin), "images", "kubevisor-busybox.ova")
		if _, err := os.Stat(small); err == nil {
			if err := os.Link(small, filepath.Join(dir, "kubevisor-busybox.ova")); err != nil && !os.IsExist(err) {
				return err
			}
		}
		args = append(args, "--image-seed-dir", dir)
	}
	args = append(args, s.Opts.ExtraArgs...)
	cmd := exec.Command(s.bin, args...)
	cmd.Stdout, cmd.Stderr = s.Log, s.Log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	s.cmd = cmd
	s.exited = make(chan struct{})
	exited := s.exited
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	return nil
}

// Output returns the end of the process's output and of its log file.
func (s *Supervisor) Output() string {
	logs, _ := os.ReadFile(filepath.Join(s.Opts.DataDir, "logs", "kubevisor.log"))
	return "--- output ---\n" + tail(s.Log.String(), 4<<10) + "\n--- logs/kubevisor.log ---\n" + tail(string(logs), 12<<10)
}

// PID is the process ID of the running server.
func (s *Supervisor) PID() int {
	if s.cmd == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// Kubeconfig is the admin kubeconfig's path.
func (s *Supervisor) Kubeconfig() string { return filepath.Join(s.Opts.DataDir, "kubeconfig") }

// SSOAddress is the SSO endpoint's host:port (`kubectl vsphere login --server`).
func (s *Supervisor) SSOAddress() string { return fmt.Sprintf("127.0.0.1:%d", s.SSOPort) }

// Server is the API server's URL.
func (s *Supervisor) Server() string { return fmt.Sprintf("https://127.0.0.1:%d", s.Port) }

// RESTConfig returns an admin client configuration.
func (s *Supervisor) RESTConfig() (*rest.Config, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", s.Kubeconfig())
	if err != nil {
		return nil, err
	}
	cfg.QPS, cfg.Burst = 200, 400
	return cfg, nil
}

// WaitReady waits until /readyz answers ok.
func (s *Supervisor) WaitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return fmt.Errorf("supervisor exited before it was ready")
		default:
		}
		if last = s.Readyz(); last == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("supervisor not ready after %s: %v", timeout, last)
}

// Readyz returns nil when /readyz answers ok. It authenticates with the
// admin certificate once the kubeconfig exists.
func (s *Supervisor) Readyz() error {
	cfg, err := s.RESTConfig()
	if err != nil {
		return err
	}
	client, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return err
	}
	client.Timeout = 5 * time.Second
	resp, err := client.Get(s.Server() + "/readyz")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/readyz: %s", resp.Status)
	}
	return nil
}

// CAPool returns the Supervisor's certificate authority.
func (s *Supervisor) CAPool() (*x509.CertPool, error) {
	data, err := os.ReadFile(filepath.Join(s.Opts.DataDir, "pki", "ca.crt"))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, errors.New("no CA certificate")
	}
	return pool, nil
}

// AnonymousClient is an HTTP client that trusts the Supervisor but
// presents no credentials.
func (s *Supervisor) AnonymousClient() (*http.Client, error) {
	pool, err := s.CAPool()
	if err != nil {
		return nil, err
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}, nil
}

// Stop sends SIGTERM and waits up to timeout for a clean exit.
func (s *Supervisor) Stop(timeout time.Duration) error {
	if s.cmd == nil {
		return nil
	}
	defer func() { s.cmd = nil }()
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
		if code := s.cmd.ProcessState.ExitCode(); code != 0 {
			return fmt.Errorf("supervisor exited with code %d after SIGTERM", code)
		}
		return nil
	case <-time.After(timeout):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.exited
		return fmt.Errorf("supervisor did not stop within %s of SIGTERM", timeout)
	}
}

// Kill sends SIGKILL and waits for the process to be gone.
func (s *Supervisor) Kill() {
	if s.cmd == nil {
		return
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.exited
	s.cmd = nil
}

// Kubectl runs the real kubectl against the Supervisor as the admin.
func (s *Supervisor) Kubectl(ctx context.Context, stdin []byte, args ...string) (string, error) {
	return Kubectl(ctx, s.Kubeconfig(), stdin, args...)
}

// Kubectl runs kubectl with kubeconfig and returns its standard output.
// When it fails, the error carries its standard error.
func Kubectl(ctx context.Context, kubeconfig string, stdin []byte, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "kubectl", append([]string{"--kubeconfig", kubeconfig}, args...)...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("kubectl %v: %w: %s", args, err, bytes.TrimSpace(stderr.Bytes()))
	}
	return stdout.String(), nil
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
