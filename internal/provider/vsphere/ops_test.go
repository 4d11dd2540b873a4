package vsphere

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kubevisor/kubevisor/internal/provider"
)

func TestOperations(t *testing.T) {
	ctx := context.Background()
	short, long := 20*time.Millisecond, 5*time.Second

	t.Run("a slow operation is in progress, then collected once", func(t *testing.T) {
		var o operations
		var runs atomic.Int32
		release := make(chan struct{})
		fn := func(context.Context) (provider.Status, error) {
			runs.Add(1)
			<-release
			return provider.Status{UniqueID: "vm-1"}, nil
		}
		if _, err := o.run(ctx, "a", "k", short, long, fn); !errors.Is(err, provider.ErrInProgress) {
			t.Fatalf("first run = %v, want ErrInProgress", err)
		}
		if _, err := o.run(ctx, "a", "k", short, long, fn); !errors.Is(err, provider.ErrInProgress) {
			t.Fatalf("second run = %v, want ErrInProgress", err)
		}
		close(release)
		st, err := o.run(ctx, "a", "k", long, long, fn)
		if err != nil || st.UniqueID != "vm-1" {
			t.Fatalf("run = %+v, %v", st, err)
		}
		if n := runs.Load(); n != 1 {
			t.Errorf("ran %d times, want once", n)
		}
		// Collected: the next call runs again.
		if _, err := o.run(ctx, "a", "k", long, long, fn); err != nil || runs.Load() != 2 {
			t.Errorf("run after collecting = %v, runs %d", err, runs.Load())
		}
	})

	t.Run("a new request waits for the running one", func(t *testing.T) {
		var o operations
		release := make(chan struct{})
		_, _ = o.run(ctx, "a", "old", short, long, func(context.Context) (provider.Status, error) {
			<-release
			return provider.Status{UniqueID: "old"}, nil
		})
		newer := func(context.Context) (provider.Status, error) { return provider.Status{UniqueID: "new"}, nil }
		if _, err := o.run(ctx, "a", "new", short, long, newer); !errors.Is(err, provider.ErrInProgress) {
			t.Fatalf("run = %v, want ErrInProgress", err)
		}
		close(release)
		if st, err := o.run(ctx, "a", "new", long, long, newer); err != nil || st.UniqueID != "new" {
			t.Errorf("run = %+v, %v; want the new request's result", st, err)
		}
	})

	t.Run("delete waits for a running reconcile", func(t *testing.T) {
		var o operations
		release := make(chan struct{})
		var deployed atomic.Bool
		_, _ = o.run(ctx, "a", "k", short, long, func(ctx context.Context) (provider.Status, error) {
			<-release
			deployed.Store(true)
			return provider.Status{}, nil
		})
		destroyed := func(context.Context) (provider.Status, error) {
			if !deployed.Load() {
				t.Error("delete ran before the reconcile ended")
			}
			return provider.Status{}, nil
		}
		if _, err := o.run(ctx, "a", deleteKey, short, long, destroyed); !errors.Is(err, provider.ErrInProgress) {
			t.Fatalf("delete = %v, want ErrInProgress", err)
		}
		close(release)
		if _, err := o.run(ctx, "a", deleteKey, long, long, destroyed); err != nil {
			t.Errorf("delete = %v", err)
		}
	})

	t.Run("VMs do not wait for each other", func(t *testing.T) {
		var o operations
		release := make(chan struct{})
		defer close(release)
		_, _ = o.run(ctx, "a", "k", short, long, func(ctx context.Context) (provider.Status, error) {
			<-release
			return provider.Status{}, nil
		})
		if _, err := o.run(ctx, "b", "k", long, long, func(context.Context) (provider.Status, error) { return provider.Status{}, nil }); err != nil {
			t.Error(err)
		}
	})

	t.Run("a panic is an error", func(t *testing.T) {
		var o operations
		_, err := o.run(ctx, "a", "k", long, long, func(context.Context) (provider.Status, error) { panic("boom") })
		if err == nil {
			t.Error("no error")
		}
	})
}
