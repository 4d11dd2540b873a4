package apiserver

import (
	"net"
	"slices"
	"testing"
)

func TestArgsWatchCache(t *testing.T) {
	for _, on := range []bool{false, true} {
		cfg := Config{BindAddress: net.IPv4(127, 0, 0, 1), Port: 6443, WatchCache: on}
		want := "--watch-cache=false"
		if on {
			want = "--watch-cache=true"
		}
		if args := cfg.Args(); !slices.Contains(args, want) {
			t.Errorf("WatchCache %v: args %v lack %s", on, args, want)
		}
	}
}
