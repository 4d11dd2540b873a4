package library

import (
	"net/http"
	"sync/atomic"
)

// Deferred is an http.Handler that answers 503 Service Unavailable until
// Set gives it the real handler: for a server that starts before the
// controller manager (and so the content library service) exists.
type Deferred struct {
	h atomic.Pointer[http.Handler]
}

// Set installs the handler that serves from now on.
func (d *Deferred) Set(h http.Handler) { d.h.Store(&h) }

func (d *Deferred) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h := d.h.Load(); h != nil {
		(*h).ServeHTTP(w, r)
		return
	}
	w.Header().Set("Retry-After", "5")
	writeError(w, http.StatusServiceUnavailable, "Unavailable", "the content library service is starting; try again in a few seconds")
}
