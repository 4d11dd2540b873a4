package framework

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// requireBackends makes a missing etcd or PostgreSQL a test failure rather
// than a skip; CI sets it after installing both.
func requireBackends() bool { return os.Getenv("KUBEVISOR_REQUIRE_BACKENDS") == "1" }

func missing(t testing.TB, what string) {
	t.Helper()
	if requireBackends() {
		t.Fatalf("%s is required (KUBEVISOR_REQUIRE_BACKENDS=1) but not installed", what)
	}
	t.Skipf("%s is not installed (apt-get install etcd-server postgresql); .ci/run installs it", what)
}

// StartEtcd starts a single-member etcd from the machine's packages on
// loopback ports and returns its client URL. It stops when the test ends.
func StartEtcd(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("etcd")
	if err != nil {
		missing(t, "etcd")
	}
	clientPort, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	peerPort, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	client := "http://127.0.0.1:" + strconv.Itoa(clientPort)
	peer := "http://127.0.0.1:" + strconv.Itoa(peerPort)
	cmd := exec.Command(bin,
		"--name", "test",
		"--data-dir", filepath.Join(dir, "data"),
		"--listen-client-urls", client, "--advertise-client-urls", client,
		"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
		"--initial-cluster", "test="+peer,
	)
	cmd.Env = append(os.Environ(), "ETCD_UNSUPPORTED_ARCH=")
	log := &SyncBuffer{}
	cmd.Stdout, cmd.Stderr = log, log
	startDaemon(t, cmd, "etcd", log, tcpReady(clientPort))
	return client
}

// StartPostgres starts a PostgreSQL server from the machine's packages,
// with its data in a temporary directory, and returns a kine endpoint for
// it. It stops when the test ends.
func StartPostgres(t testing.TB) string {
	t.Helper()
	binDir := postgresBinDir()
	if binDir == "" {
		missing(t, "PostgreSQL")
	}
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "kv-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	data := filepath.Join(dir, "data")

	// PostgreSQL refuses to run as root: run it as the postgres user when
	// the tests run as root.
	asUser := func(name string, args ...string) *exec.Cmd {
		if os.Geteuid() == 0 {
			return exec.Command("runuser", append([]string{"-u", "postgres", "--", name}, args...)...)
		}
		return exec.Command(name, args...)
	}
	if os.Geteuid() == 0 {
		if out, err := exec.Command("chown", "postgres:postgres", dir).CombinedOutput(); err != nil {
			t.Fatalf("chown: %v: %s", err, out)
		}
	}
	if out, err := asUser(filepath.Join(binDir, "initdb"), "-D", data, "--auth=trust", "-U", "postgres").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v: %s", err, out)
	}
	cmd := asUser(filepath.Join(binDir, "postgres"), "-D", data, "-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="+dir, "-c", "fsync=on")
	log := &SyncBuffer{}
	cmd.Stdout, cmd.Stderr = log, log
	startDaemon(t, cmd, "postgres", log, func() bool {
		return exec.Command(filepath.Join(binDir, "pg_isready"), "-q", "-h", "127.0.0.1", "-p", strconv.Itoa(port)).Run() == nil
	})
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/kubevisor?sslmode=disable", port)
}

func postgresBinDir() string {
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	if len(matches) == 0 {
		return ""
	}
	return filepath.Dir(matches[len(matches)-1])
}

func tcpReady(port int) func() bool {
	return func() bool {
		c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), time.Second)
		if err != nil {
			return false
		}
		c.Close()
		return true
	}
}

// startDaemon starts cmd, waits until ready reports true and stops it when
// the test ends.
func startDaemon(t testing.TB, cmd *exec.Cmd, name string, log *SyncBuffer, ready func() bool) {
	t.Helper()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			t.Fatalf("%s exited during start:\n%s", name, log.String())
		default:
		}
		if ready() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s was not ready within 60s:\n%s", name, log.String())
}
