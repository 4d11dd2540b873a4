package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func main() {
	endpoint := flag.String("endpoint", "unix:///run/containerd/containerd.sock", "the CRI endpoint")
	timeout := flag.Duration("timeout", 2*time.Minute, "how long to wait")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if err := wait(ctx, *endpoint); err != nil {
		fmt.Fprintf(os.Stderr, "cri-ready: %s: %v\n", *endpoint, err)
		os.Exit(1)
	}
}

// wait polls the runtime every 100 ms until it is ready or ctx ends.
func wait(ctx context.Context, endpoint string) error {
	if !strings.HasPrefix(endpoint, "unix://") {
		return errors.New("want a unix:// endpoint")
	}
	conn, err := grpc.NewClient("unix:"+strings.TrimPrefix(endpoint, "unix://"), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	rt := runtimeapi.NewRuntimeServiceClient(conn)
	var last error
	for {
		if last = ready(ctx, rt); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not ready: %w", last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func ready(ctx context.Context, rt runtimeapi.RuntimeServiceClient) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if _, err := rt.Version(ctx, &runtimeapi.VersionRequest{}); err != nil {
		return err
	}
	st, err := rt.Status(ctx, &runtimeapi.StatusRequest{})
	if err != nil {
		return err
	}
	for _, c := range st.GetStatus().GetConditions() {
		if c.GetType() == runtimeapi.RuntimeReady && !c.GetStatus() {
			return fmt.Errorf("RuntimeReady is false: %s %s", c.GetReason(), c.GetMessage())
		}
	}
	return nil
}
