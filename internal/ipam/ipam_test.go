package ipam

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"testing"
)

func TestHostRange(t *testing.T) {
	tests := []struct {
		prefix      string
		first, last string
	}{
		{"198.18.0.0/16", "198.18.0.1", "198.18.255.254"},
		{"198.18.7.0/24", "198.18.7.1", "198.18.7.254"},
		{"10.0.0.4/30", "10.0.0.5", "10.0.0.6"},
		{"198.18.7.9/24", "198.18.7.1", "198.18.7.254"},
	}
	for _, tt := range tests {
		t.Run(tt.prefix, func(t *testing.T) {
			first, last := hostRange(netip.MustParsePrefix(tt.prefix).Masked())
			if first.String() != tt.first || last.String() != tt.last {
				t.Errorf("hostRange(%s) = %s..%s, want %s..%s", tt.prefix, first, last, tt.first, tt.last)
			}
		})
	}
}

func TestNewRejects(t *testing.T) {
	for _, p := range []string{"198.18.0.0/31", "198.18.0.1/32", "fd00::/64"} {
		if _, err := New(t.TempDir(), netip.MustParsePrefix(p)); err == nil {
			t.Errorf("New(%s) succeeded, want an error", p)
		}
	}
}

func TestAllocate(t *testing.T) {
	gw := netip.MustParseAddr("198.18.0.1")
	tests := []struct {
		name   string
		prefix string
		steps  []string // "+owner want" allocates, "-owner" releases
	}{
		{
			name:   "skips gateway, stable per owner",
			prefix: "198.18.0.0/29",
			steps:  []string{"+a 198.18.0.2", "+b 198.18.0.3", "+a 198.18.0.2"},
		},
		{
			name:   "round robin after release",
			prefix: "198.18.0.0/29",
			steps:  []string{"+a 198.18.0.2", "+b 198.18.0.3", "-a", "+c 198.18.0.4", "+d 198.18.0.5", "+e 198.18.0.6", "+f 198.18.0.2"},
		},
		{
			name:   "exhaustion",
			prefix: "198.18.0.0/30",
			steps:  []string{"+a 198.18.0.2", "+b exhausted", "-a", "+b 198.18.0.2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := New(t.TempDir(), netip.MustParsePrefix(tt.prefix), gw)
			if err != nil {
				t.Fatal(err)
			}
			for _, step := range tt.steps {
				var op, owner, want string
				fmt.Sscanf(step, "%1s%s %s", &op, &owner, &want)
				if op == "-" {
					if err := a.Release(owner); err != nil {
						t.Fatalf("%s: %v", step, err)
					}
					continue
				}
				got, err := a.Allocate(owner)
				if want == "exhausted" {
					if !errors.Is(err, ErrExhausted) {
						t.Fatalf("%s: got %v, %v; want ErrExhausted", step, got, err)
					}
					continue
				}
				if err != nil || got.String() != want {
					t.Fatalf("%s: got %v, %v; want %s", step, got, err, want)
				}
			}
		})
	}
}

func TestPersistsAcrossAllocators(t *testing.T) {
	dir := t.TempDir()
	p := netip.MustParsePrefix("198.18.0.0/24")
	a1, _ := New(dir, p)
	x, err := a1.Allocate("x")
	if err != nil {
		t.Fatal(err)
	}
	a2, _ := New(dir, p)
	if got, ok, err := a2.Lookup("x"); err != nil || !ok || got != x {
		t.Fatalf("Lookup after restart = %v %v %v, want %v", got, ok, err, x)
	}
	y, _ := a2.Allocate("y")
	if y == x {
		t.Fatalf("second allocator handed out %v twice", x)
	}
}

func TestConcurrentAllocatorsNeverShare(t *testing.T) {
	dir := t.TempDir()
	p := netip.MustParsePrefix("198.18.0.0/26")
	var wg sync.WaitGroup
	got := make([]netip.Addr, 40)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, _ := New(dir, p) // separate allocators, as separate processes would be
			addr, err := a.Allocate(fmt.Sprintf("vm-%d", i))
			if err != nil {
				t.Error(err)
			}
			got[i] = addr
		}()
	}
	wg.Wait()
	seen := map[netip.Addr]bool{}
	for _, addr := range got {
		if seen[addr] {
			t.Fatalf("address %v handed out twice", addr)
		}
		seen[addr] = true
	}
}
