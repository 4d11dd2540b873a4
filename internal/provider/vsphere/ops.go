package vsphere

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/kubevisor/kubevisor/internal/provider"
)

// resultTTL is how long the result of a finished operation waits for its
// caller. An older one is dropped and the operation runs again (it is
// idempotent), so that a caller never gets a stale status.
const resultTTL = time.Minute

// operation is one run of a VM's reconcile or delete, in the background:
// vCenter calls (an OVF deploy above all) can take minutes, and Reconcile
// must not block a worker that long. The caller waits a little, and gets
// provider.ErrInProgress if the work is not done by then; a later call
// with the same request collects the result.
type operation struct {
	// key identifies the request: a digest of the desired VM, or "delete".
	key  string
	done chan struct{}
	// st, err and finished are set before done is closed.
	st       provider.Status
	err      error
	finished time.Time
}

// operations holds at most one operation per VM, so a VM is only ever
// changed by one goroutine at a time.
type operations struct {
	mu  sync.Mutex
	ops map[string]*operation
}

// run starts fn for VM id under key unless an operation of that key is
// already there, and waits for it up to wait. A finished operation of
// another key is dropped; a running one is waited for first. A delete,
// too, waits for a reconcile to end rather than cancel it: a deploy cut
// short on our side goes on in vCenter, and its VM must be known to be
// destroyed. fn gets a context that outlives the caller's but keeps its
// values (the logger), bounded by timeout.
func (o *operations) run(ctx context.Context, id, key string, wait, timeout time.Duration, fn func(context.Context) (provider.Status, error)) (provider.Status, error) {
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		o.mu.Lock()
		if o.ops == nil {
			o.ops = map[string]*operation{}
		}
		op := o.ops[id]
		if op != nil && op.key != key {
			select {
			case <-op.done:
				delete(o.ops, id)
				op = nil
			default:
			}
		}
		if op != nil && op.key == key {
			select {
			case <-op.done:
				if time.Since(op.finished) > resultTTL {
					delete(o.ops, id)
					op = nil
				}
			default:
			}
		}
		if op == nil {
			op = o.start(ctx, id, key, timeout, fn)
		}
		o.mu.Unlock()

		select {
		case <-op.done:
			if op.key != key {
				continue // the previous operation is over: start ours
			}
			o.mu.Lock()
			if o.ops[id] == op {
				delete(o.ops, id)
			}
			o.mu.Unlock()
			return op.st, op.err
		case <-deadline.C:
			return provider.Status{}, fmt.Errorf("VM %s: %w", id, provider.ErrInProgress)
		case <-ctx.Done():
			return provider.Status{}, ctx.Err()
		}
	}
}

// start runs fn in a new goroutine; o.mu is held.
func (o *operations) start(ctx context.Context, id, key string, timeout time.Duration, fn func(context.Context) (provider.Status, error)) *operation {
	octx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	op := &operation{key: key, done: make(chan struct{})}
	o.ops[id] = op
	go func() {
		defer cancel()
		defer close(op.done)
		defer func() {
			// vCenter's responses are decoded by reflection deep inside
			// govmomi: a surprise there must fail this VM, not the process.
			if r := recover(); r != nil {
				op.st, op.err = provider.Status{}, fmt.Errorf("VM %s: unexpected failure: %v", id, r)
			}
			op.finished = time.Now()
		}()
		op.st, op.err = fn(octx)
	}()
	return op
}

// deleteKey is the key of delete operations.
const deleteKey = "delete"
