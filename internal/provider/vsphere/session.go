package vsphere

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"sync"
	"sync/atomic"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/session/keepalive"
	"github.com/vmware/govmomi/vapi/rest"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// conn is the one vCenter connection every reconcile shares: a SOAP
// (vim25) client and a REST (vAPI) client for content libraries. Both keep
// their session alive while idle and log in again, transparently, when
// vCenter has forgotten it (an expiry, a vCenter restart).
type conn struct {
	user *url.Userinfo
	// vim is the SOAP client; its RoundTripper is the relogin wrapper.
	vim *vim25.Client
	// inner is the keep-alive handler over the plain SOAP client: what
	// the wrapper calls, and what logins go through.
	inner soap.RoundTripper
	rest  *rest.Client

	loginMu sync.Mutex
	// soapGen and restGen count logins, so that callers that failed
	// together log in once.
	soapGen, restGen atomic.Uint64
}

// dial connects to vCenter and logs in.
func dial(ctx context.Context, cfg Config, u *url.URL) (*conn, error) {
	sc := soap.NewClient(u, cfg.Insecure)
	if cfg.CAFile != "" {
		if err := sc.SetRootCAs(cfg.CAFile); err != nil {
			return nil, fmt.Errorf("loading vCenter CA file %s: %w", cfg.CAFile, err)
		}
	}
	if cfg.Thumbprint != "" {
		sc.SetThumbprint(u.Host, cfg.Thumbprint)
	}
	vc, err := vim25.NewClient(ctx, sc)
	if err != nil {
		return nil, fmt.Errorf("connecting to vCenter %s: %w", u.Host, err)
	}
	c := &conn{
		user:  url.UserPassword(cfg.Username, cfg.Password),
		vim:   vc,
		inner: keepalive.NewHandlerSOAP(sc, cfg.KeepAlive, nil),
	}
	vc.RoundTripper = &relogin{c: c}
	if err := c.loginSOAP(ctx); err != nil {
		return nil, fmt.Errorf("logging in to vCenter %s as %s: %w", u.Host, cfg.Username, err)
	}
	c.rest = rest.NewClient(vc)
	c.rest.Transport = keepalive.NewHandlerREST(c.rest, cfg.KeepAlive, nil)
	if err := c.rest.Login(ctx, c.user); err != nil {
		_ = c.logout(ctx)
		return nil, fmt.Errorf("logging in to vCenter's REST API %s as %s: %w", u.Host, cfg.Username, err)
	}
	c.restGen.Add(1)
	return c, nil
}

// loginSOAP opens a new SOAP session; the cookie jar keeps it.
func (c *conn) loginSOAP(ctx context.Context) error {
	pw, _ := c.user.Password()
	_, err := methods.Login(ctx, c.inner, &types.Login{
		This:     *c.vim.ServiceContent.SessionManager,
		UserName: c.user.Username(),
		Password: pw,
		Locale:   session.Locale,
	})
	if err != nil {
		return err
	}
	c.soapGen.Add(1)
	return nil
}

// reloginSOAP logs in again unless another caller already did since gen.
func (c *conn) reloginSOAP(ctx context.Context, gen uint64) error {
	c.loginMu.Lock()
	defer c.loginMu.Unlock()
	if c.soapGen.Load() != gen {
		return nil
	}
	return c.loginSOAP(ctx)
}

// withREST calls f with the REST client, logging in again and calling f
// once more when the REST session has expired.
func (c *conn) withREST(ctx context.Context, f func(*rest.Client) error) error {
	gen := c.restGen.Load()
	err := f(c.rest)
	if !rest.IsStatusError(err, http.StatusUnauthorized) {
		return err
	}
	c.loginMu.Lock()
	if c.restGen.Load() == gen {
		if lerr := c.rest.Login(ctx, c.user); lerr != nil {
			c.loginMu.Unlock()
			return fmt.Errorf("%w (logging in again: %w)", err, lerr)
		}
		c.restGen.Add(1)
	}
	c.loginMu.Unlock()
	return f(c.rest)
}

// logout ends both sessions (and their keep-alives).
func (c *conn) logout(ctx context.Context) error {
	var rerr error
	if c.rest != nil {
		rerr = c.rest.Logout(ctx)
	}
	_, err := methods.Logout(ctx, c.inner, &types.Logout{This: *c.vim.ServiceContent.SessionManager})
	if err != nil {
		return err
	}
	return rerr
}

// relogin is the SOAP client's RoundTripper: a call that fails because the
// session is gone logs in again and is sent once more.
type relogin struct{ c *conn }

// RoundTrip implements soap.RoundTripper.
func (r *relogin) RoundTrip(ctx context.Context, req, res soap.HasFault) error {
	gen := r.c.soapGen.Load()
	err := r.c.inner.RoundTrip(ctx, req, res)
	if err == nil || !fault.Is(err, &types.NotAuthenticated{}) || !clearFault(res) {
		return err
	}
	if lerr := r.c.reloginSOAP(ctx, gen); lerr != nil {
		return fmt.Errorf("%w (logging in again: %w)", err, lerr)
	}
	return r.c.inner.RoundTrip(ctx, req, res)
}

// clearFault resets the fault a failed call left in a response body (the
// generated bodies keep it in a Fault_ field), so that the body can be
// used again. It reports whether it could.
func clearFault(res soap.HasFault) bool {
	v := reflect.ValueOf(res)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return false
	}
	f := v.Elem().FieldByName("Fault_")
	if !f.IsValid() || !f.CanSet() {
		return false
	}
	f.Set(reflect.Zero(f.Type()))
	return true
}
