package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	runv1 "github.com/kubevisor/kubevisor/api/run/v1alpha3"
)

// hint is where to look when a cluster does not become ready.
func hint(ns, name string) string {
	return fmt.Sprintf("see `kubevisor cluster get %s -n %s` and `kubectl describe cluster %s -n %s`", name, ns, name, ns)
}

// waitReady follows cluster ns/name, writing its progress to out, until
// it is ready (nil), has failed, or timeout has passed (errors).
func (e *env) waitReady(ctx context.Context, c client.Client, out io.Writer, ns, name string, timeout time.Duration) error {
	terminal, width := e.terminal(out)
	start := e.now()
	p := newProgress(terminal, width, start)
	waitCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var (
		last    state
		seen    bool
		lastErr error
	)
	for {
		tkc := &runv1.TanzuKubernetesCluster{}
		err := c.Get(waitCtx, client.ObjectKey{Namespace: ns, Name: name}, tkc)
		switch {
		case apierrors.IsNotFound(err):
			fmt.Fprint(out, p.finish())
			return fmt.Errorf("cluster %s in namespace %s was deleted while waiting for it to be ready", name, ns)
		case err != nil && waitCtx.Err() == nil:
			// The Supervisor may be briefly unreachable; keep trying
			// until the deadline.
			lastErr = err
		case err == nil:
			lastErr = nil
			last, seen = stateOf(tkc), true
			fmt.Fprint(out, p.update(last, e.now()))
			if last.ready {
				fmt.Fprint(out, p.finish())
				fmt.Fprintf(out, "cluster %s is ready (%s)\n", name, e.now().Sub(start).Round(time.Second))
				return nil
			}
			if last.failed {
				fmt.Fprint(out, p.finish())
				return fmt.Errorf("cluster %s in namespace %s is %s: %s; %s", name, ns, last.phase, describeCondition(last.blocking), hint(ns, name))
			}
		}
		select {
		case <-waitCtx.Done():
			fmt.Fprint(out, p.finish())
			if ctx.Err() != nil {
				return ctx.Err()
			}
			msg := fmt.Sprintf("timed out after %s waiting for cluster %s in namespace %s to be ready", timeout, name, ns)
			if seen {
				msg += fmt.Sprintf(": phase %s, waiting for %s", last.phase, describeCondition(last.blocking))
			}
			if lastErr != nil {
				msg += fmt.Sprintf(" (last error: %v)", lastErr)
			}
			return errors.New(msg + "; " + hint(ns, name))
		case <-time.After(e.interval):
		}
	}
}

// waitDeleted follows cluster ns/name, writing its progress to out, until
// it is gone (nil) or timeout has passed.
func (e *env) waitDeleted(ctx context.Context, c client.Client, out io.Writer, ns, name string, timeout time.Duration) error {
	terminal, width := e.terminal(out)
	start := e.now()
	p := newProgress(terminal, width, start)
	waitCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last state
	for {
		tkc := &runv1.TanzuKubernetesCluster{}
		err := c.Get(waitCtx, client.ObjectKey{Namespace: ns, Name: name}, tkc)
		switch {
		case apierrors.IsNotFound(err):
			fmt.Fprint(out, p.finish())
			fmt.Fprintf(out, "cluster %s deleted (%s)\n", name, e.now().Sub(start).Round(time.Second))
			return nil
		case err == nil:
			last = stateOf(tkc)
			if tkc.DeletionTimestamp != nil && last.phase != string(runv1.PhaseDeleting) {
				last.phase = string(runv1.PhaseDeleting)
			}
			fmt.Fprint(out, p.update(last, e.now()))
		}
		select {
		case <-waitCtx.Done():
			fmt.Fprint(out, p.finish())
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("timed out after %s waiting for cluster %s in namespace %s to be deleted (phase %s, %s); %s",
				timeout, name, ns, last.phase, describeCondition(last.blocking), hint(ns, name))
		case <-time.After(e.interval):
		}
	}
}
