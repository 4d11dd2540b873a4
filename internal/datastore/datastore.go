package datastore

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/k3s-io/kine/pkg/endpoint"
	kinetls "github.com/k3s-io/kine/pkg/tls"
	"github.com/sirupsen/logrus"
)

// sqliteParams are the SQLite connection parameters. WAL journaling with
// synchronous=NORMAL keeps every committed transaction across a process
// crash; only an operating-system crash can lose the last ones.
const sqliteParams = "_journal_mode=WAL&_busy_timeout=30000&_synchronous=NORMAL&_txlock=immediate&_stmt_cache_size=20&cache=shared"

// Config selects and configures the backend.
type Config struct {
	// Endpoint is empty for the embedded SQLite database, http(s)://… for
	// an external etcd, or postgres://… for PostgreSQL.
	Endpoint string
	// DataDir holds the SQLite database and kine's socket.
	DataDir string
	// CAFile, CertFile and KeyFile secure the connection to an external
	// etcd or PostgreSQL.
	CAFile, CertFile, KeyFile string
}

// Etcd is what the API server needs to reach the backend.
type Etcd struct {
	// Endpoints are etcd client URLs.
	Endpoints []string
	// CAFile, CertFile and KeyFile are the client TLS files, if any.
	CAFile, CertFile, KeyFile string
}

// Kind names the backend an endpoint selects: sqlite, etcd or postgres.
func Kind(endpoint string) (string, error) {
	if endpoint == "" {
		return "sqlite", nil
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return "", fmt.Errorf("--datastore-endpoint: %w", err)
	}
	switch u.Scheme {
	case "http", "https":
		return "etcd", nil
	case "postgres", "postgresql":
		return "postgres", nil
	case "sqlite":
		return "sqlite", nil
	}
	return "", fmt.Errorf("--datastore-endpoint: unsupported scheme %q: use http(s):// for etcd, postgres:// for PostgreSQL, or leave it empty for the embedded SQLite database", u.Scheme)
}

// Start starts the backend and returns how to reach it. The backend stops
// when ctx is cancelled.
func Start(ctx context.Context, cfg Config) (Etcd, error) {
	kind, err := Kind(cfg.Endpoint)
	if err != nil {
		return Etcd{}, err
	}
	if kind == "etcd" {
		// The API server talks to etcd directly; nothing to start.
		return Etcd{
			Endpoints: strings.Split(cfg.Endpoint, ","),
			CAFile:    cfg.CAFile, CertFile: cfg.CertFile, KeyFile: cfg.KeyFile,
		}, nil
	}

	dsn := cfg.Endpoint
	if kind == "sqlite" {
		dbDir := filepath.Join(cfg.DataDir, "db")
		if err := os.MkdirAll(dbDir, 0o700); err != nil {
			return Etcd{}, fmt.Errorf("creating %s: %w", dbDir, err)
		}
		dsn = "sqlite://" + filepath.Join(dbDir, "state.db") + "?" + sqliteParams
	}

	socket := filepath.Join(cfg.DataDir, "kine.sock")
	if len(socket) > 100 {
		return Etcd{}, fmt.Errorf("--data-dir %s is too long for a unix socket path: use a shorter directory", cfg.DataDir)
	}
	logrus.SetLevel(logrus.WarnLevel)
	etcd, err := endpoint.Listen(ctx, endpoint.Config{
		Listener: "unix://" + socket,
		Endpoint: dsn,
		BackendTLSConfig: kinetls.Config{
			CAFile: cfg.CAFile, CertFile: cfg.CertFile, KeyFile: cfg.KeyFile,
		},
		// kine's own defaults (its command-line flags): compaction is left
		// to the API server, which compacts every five minutes.
		NotifyInterval:      5 * time.Second,
		EmulatedETCDVersion: "3.6.11",
		CompactTimeout:      5 * time.Second,
		CompactMinRetain:    1000,
		CompactBatchSize:    1000,
		PollBatchSize:       500,
		PollInterval:        time.Second,
	})
	if err != nil {
		return Etcd{}, fmt.Errorf("starting %s datastore: %w", kind, err)
	}
	if len(etcd.Endpoints) == 0 {
		return Etcd{}, errors.New("datastore started without an endpoint")
	}
	return Etcd{Endpoints: etcd.Endpoints}, nil
}
