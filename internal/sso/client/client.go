package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kubevisor/kubevisor/internal/sso/api"
)

// Options configure a Client.
type Options struct {
	// InsecureSkipTLSVerify accepts any certificate from the endpoint.
	InsecureSkipTLSVerify bool
	// RootCAs verify the endpoint's certificate; nil means the system's
	// roots.
	RootCAs *x509.CertPool
	// Timeout bounds each request; zero means 30 seconds.
	Timeout time.Duration
}

// Client talks to one SSO endpoint.
type Client struct {
	base *url.URL
	http *http.Client
}

// New returns a client of the SSO endpoint at addr: host, host:port or
// https://host[:port]. Without a port, api.DefaultPort is used.
func New(addr string, o Options) (*Client, error) {
	base, err := BaseURL(addr)
	if err != nil {
		return nil, err
	}
	timeout := o.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = &tls.Config{
		MinVersion:         tls.VersionTLS12,
		RootCAs:            o.RootCAs,
		InsecureSkipVerify: o.InsecureSkipTLSVerify, //nolint:gosec // the user asked for it, and is warned.
	}
	return &Client{base: base, http: &http.Client{Timeout: timeout, Transport: transport}}, nil
}

// BaseURL turns a --server value into the endpoint's URL.
func BaseURL(addr string) (*url.URL, error) {
	addr = strings.TrimSpace(addr)
	if addr == "" {
		return nil, errors.New("the server address is empty: pass the Supervisor's address, such as 127.0.0.1 or 127.0.0.1:6444")
	}
	raw := addr
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		return nil, fmt.Errorf("server address %q is not host, host:port or https://host:port", addr)
	}
	if u.Scheme != "https" {
		return nil, fmt.Errorf("server address %q: only https is supported", addr)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return nil, fmt.Errorf("server address %q must be only host or host:port", addr)
	}
	if port := u.Port(); port == "" {
		u.Host = net.JoinHostPort(u.Hostname(), strconv.Itoa(api.DefaultPort))
	} else if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return nil, fmt.Errorf("server address %q: port %q is not a number between 1 and 65535", addr, port)
	}
	u.Path = ""
	return u, nil
}

// URL is the endpoint's base URL.
func (c *Client) URL() string { return c.base.String() }

// Error is an error status of the endpoint.
type Error struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// Message is the endpoint's explanation, or the status text.
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s (HTTP %d)", e.Message, e.StatusCode)
}

// IsUnauthorized reports whether err is a refusal of credentials.
func IsUnauthorized(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.StatusCode == http.StatusUnauthorized
}

// IsNotFound reports whether err is a 404 of the endpoint.
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.StatusCode == http.StatusNotFound
}

// Login exchanges username and password for a session.
func (c *Client) Login(ctx context.Context, username, password string) (*api.LoginResponse, error) {
	req, err := c.request(ctx, http.MethodPost, api.LoginPath)
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth(username, password)
	var resp api.LoginResponse
	if err := c.do(req, &resp); err != nil {
		return nil, err
	}
	if resp.SessionID == "" || resp.Server == "" {
		return nil, fmt.Errorf("%s%s answered without a session_id or server", c.base, api.LoginPath)
	}
	return &resp, nil
}

// Namespaces lists the namespaces the bearer of token may use.
func (c *Client) Namespaces(ctx context.Context, token string) ([]string, error) {
	req, err := c.request(ctx, http.MethodGet, api.NamespacesPath)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	var resp api.NamespacesResponse
	if err := c.do(req, &resp); err != nil {
		return nil, err
	}
	return resp.Namespaces, nil
}

// Cluster locates the workload cluster name in namespace.
func (c *Client) Cluster(ctx context.Context, token, namespace, name string) (*api.ClusterResponse, error) {
	req, err := c.request(ctx, http.MethodGet, api.ClusterPath(namespace, name))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	var resp api.ClusterResponse
	if err := c.do(req, &resp); err != nil {
		return nil, err
	}
	if resp.Server == "" {
		return nil, fmt.Errorf("%s%s answered without a server", c.base, api.ClusterPath(namespace, name))
	}
	return &resp, nil
}

func (c *Client) request(ctx context.Context, method, path string) (*http.Request, error) {
	u := *c.base
	u.RawPath = ""
	u.Path = ""
	req, err := http.NewRequestWithContext(ctx, method, u.String()+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	return req, nil
}

func (c *Client) do(req *http.Request, into any) error {
	resp, err := c.http.Do(req)
	if err != nil {
		var unknownAuthority x509.UnknownAuthorityError
		var hostname x509.HostnameError
		if errors.As(err, &unknownAuthority) || errors.As(err, &hostname) {
			return fmt.Errorf("%w: the SSO endpoint's certificate is not trusted; install its CA in the system's roots, or pass --insecure-skip-tls-verify if you trust this network", err)
		}
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("reading the answer of %s: %w", req.URL, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e api.ErrorResponse
		msg := http.StatusText(resp.StatusCode)
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			msg = e.Error
		}
		return &Error{StatusCode: resp.StatusCode, Message: msg}
	}
	if err := json.Unmarshal(body, into); err != nil {
		return fmt.Errorf("%s answered with something other than JSON (is --server the SSO endpoint?): %w", req.URL, err)
	}
	return nil
}
