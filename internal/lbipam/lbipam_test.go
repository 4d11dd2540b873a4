package lbipam

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"testing"
)

func TestParseRange(t *testing.T) {
	tests := []struct {
		in          string
		first, last string
		wantErr     bool
	}{
		{in: "198.19.0.0/16", first: "198.19.0.1", last: "198.19.255.254"},
		{in: "198.19.0.0/30", first: "198.19.0.1", last: "198.19.0.2"},
		{in: "198.19.0.4/31", first: "198.19.0.4", last: "198.19.0.5"},
		{in: "198.19.0.7/32", first: "198.19.0.7", last: "198.19.0.7"},
		{in: "198.19.0.9/24", first: "198.19.0.1", last: "198.19.0.254"},
		{in: "2001:db8::/126", first: "2001:db8::", last: "2001:db8::3"},
		{in: "198.19.1.10-198.19.1.20", first: "198.19.1.10", last: "198.19.1.20"},
		{in: " 198.19.1.10 - 198.19.1.10 ", first: "198.19.1.10", last: "198.19.1.10"},
		{in: "198.19.1.20-198.19.1.10", wantErr: true},
		{in: "198.19.1.10-2001:db8::1", wantErr: true},
		{in: "198.19.1.10-", wantErr: true},
		{in: "198.19.1.10", wantErr: true},
		{in: "nonsense/8", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			r, err := ParseRange(tt.in)
			if tt.wantErr {
				if !errors.Is(err, ErrInvalidRange) {
					t.Fatalf("ParseRange = %v, %v; want ErrInvalidRange", r, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.First.String() != tt.first || r.Last.String() != tt.last {
				t.Errorf("ParseRange = %s, want %s-%s", r, tt.first, tt.last)
			}
		})
	}
}

func TestParsePoolMergesAndSizes(t *testing.T) {
	p, err := ParsePool("p", []string{"198.19.0.20-198.19.0.29", "198.19.0.10-198.19.0.19", "198.19.0.25-198.19.0.40", "198.19.1.0/31"})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Ranges) != 2 || p.Ranges[0].String() != "198.19.0.10-198.19.0.40" || p.Size() != 31+2 {
		t.Errorf("pool = %v size %d", p.Ranges, p.Size())
	}
	big, err := ParsePool("v6", []string{"2001:db8::/64"})
	if err != nil {
		t.Fatal(err)
	}
	if big.Size() != math.MaxInt64 {
		t.Errorf("size of a /64 = %d, want MaxInt64", big.Size())
	}
	if _, err := ParsePool("empty", nil); !errors.Is(err, ErrInvalidRange) {
		t.Errorf("empty pool: %v", err)
	}
}

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

func TestAllocate(t *testing.T) {
	type step struct {
		op      string // "alloc", "release", "restore"
		owner   string
		want    string // requested address for alloc / restore
		got     string // expected address ("" for none)
		wantErr error
	}
	tests := []struct {
		name  string
		pools []PoolSpec
		steps []step
	}{
		{
			name:  "CIDR in order, network and broadcast skipped",
			pools: []PoolSpec{{"default", []string{"198.19.0.0/30"}}},
			steps: []step{
				{op: "alloc", owner: "a", got: "198.19.0.1"},
				{op: "alloc", owner: "b", got: "198.19.0.2"},
				{op: "alloc", owner: "a", got: "198.19.0.1"},
				{op: "alloc", owner: "c", wantErr: ErrExhausted},
			},
		},
		{
			name:  "ranges across pools, in the order given",
			pools: []PoolSpec{{"first", []string{"198.19.1.5-198.19.1.6"}}, {"a-second", []string{"198.19.2.1-198.19.2.1"}}},
			steps: []step{
				{op: "alloc", owner: "x", got: "198.19.1.5"},
				{op: "alloc", owner: "y", got: "198.19.1.6"},
				{op: "alloc", owner: "z", got: "198.19.2.1"},
				{op: "alloc", owner: "w", wantErr: ErrExhausted},
			},
		},
		{
			name:  "a released address is reused only after the others",
			pools: []PoolSpec{{"default", []string{"198.19.0.1-198.19.0.3"}}},
			steps: []step{
				{op: "alloc", owner: "a", got: "198.19.0.1"},
				{op: "alloc", owner: "b", got: "198.19.0.2"},
				{op: "release", owner: "a"},
				{op: "alloc", owner: "c", got: "198.19.0.3"},
				{op: "alloc", owner: "d", got: "198.19.0.1"},
			},
		},
		{
			name:  "explicit address",
			pools: []PoolSpec{{"default", []string{"198.19.0.0/24"}}},
			steps: []step{
				{op: "alloc", owner: "a", want: "198.19.0.50", got: "198.19.0.50"},
				{op: "alloc", owner: "b", want: "198.19.0.50", wantErr: ErrInUse},
				{op: "alloc", owner: "b", want: "198.18.0.50", wantErr: ErrNotInPool},
				{op: "alloc", owner: "b", got: "198.19.0.51"},
				// Moving to another free address releases the old one.
				{op: "alloc", owner: "b", want: "198.19.0.60", got: "198.19.0.60"},
				{op: "alloc", owner: "c", want: "198.19.0.51", got: "198.19.0.51"},
				// A failed move keeps what the owner had.
				{op: "alloc", owner: "c", want: "198.19.0.60", wantErr: ErrInUse},
				{op: "alloc", owner: "c", got: "198.19.0.51"},
			},
		},
		{
			name:  "no pools",
			pools: nil,
			steps: []step{{op: "alloc", owner: "a", wantErr: ErrNoPool}},
		},
		{
			name:  "restart rebuild: restored addresses are never handed out again",
			pools: []PoolSpec{{"default", []string{"198.19.0.1-198.19.0.3"}}},
			steps: []step{
				{op: "restore", owner: "old-1", want: "198.19.0.1"},
				{op: "restore", owner: "old-3", want: "198.19.0.3"},
				{op: "restore", owner: "dup", want: "198.19.0.3", wantErr: ErrInUse},
				// Outside every pool (the pool shrank): kept anyway.
				{op: "restore", owner: "orphan", want: "198.19.9.9"},
				{op: "alloc", owner: "orphan", got: "198.19.9.9"},
				{op: "alloc", owner: "new", got: "198.19.0.2"},
				{op: "alloc", owner: "dup", wantErr: ErrExhausted},
				{op: "release", owner: "old-1"},
				{op: "alloc", owner: "dup", got: "198.19.0.1"},
			},
		},
		{
			name:  "IPv6",
			pools: []PoolSpec{{"v6", []string{"2001:db8::10-2001:db8::11"}}},
			steps: []step{
				{op: "alloc", owner: "a", got: "2001:db8::10"},
				{op: "alloc", owner: "b", got: "2001:db8::11"},
				{op: "alloc", owner: "c", wantErr: ErrExhausted},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := New()
			if problems := a.SetPools(tt.pools); len(problems) > 0 {
				t.Fatalf("SetPools: %v", problems)
			}
			for i, s := range tt.steps {
				var want netip.Addr
				if s.want != "" {
					want = addr(s.want)
				}
				var got netip.Addr
				var err error
				switch s.op {
				case "alloc":
					got, err = a.Allocate(s.owner, want)
				case "restore":
					err = a.Restore(s.owner, want)
					got = want
				case "release":
					a.Release(s.owner)
					continue
				}
				if s.wantErr != nil {
					if !errors.Is(err, s.wantErr) {
						t.Fatalf("step %d %s %s: err = %v, want %v", i, s.op, s.owner, err, s.wantErr)
					}
					continue
				}
				if err != nil {
					t.Fatalf("step %d %s %s: %v", i, s.op, s.owner, err)
				}
				if s.got != "" && got.String() != s.got {
					t.Fatalf("step %d %s %s = %s, want %s", i, s.op, s.owner, got, s.got)
				}
			}
		})
	}
}

func TestSetPoolsProblemsAndUsage(t *testing.T) {
	a := New()
	problems := a.SetPools([]PoolSpec{
		{"default", []string{"198.19.0.0/29"}},            // .1-.6
		{"a-overlap", []string{"198.19.0.4-198.19.0.20"}}, // shares .4-.6 with default, which comes first
		{"broken", []string{"198.19.1.9-198.19.1.1"}},     // backwards
		{"other", []string{"198.19.2.1-198.19.2.2"}},      // fine
		{"v6", []string{"2001:db8::1-2001:db8::ff"}},      // fine
	})
	if !errors.Is(problems["a-overlap"], ErrOverlap) || !errors.Is(problems["broken"], ErrInvalidRange) || len(problems) != 2 {
		t.Fatalf("problems = %v", problems)
	}
	for i := range 6 {
		if _, err := a.Allocate(fmt.Sprintf("o%d", i), netip.Addr{}); err != nil {
			t.Fatal(err)
		}
	}
	// The overlapping pool is not used: the next address is from "other".
	if got, err := a.Allocate("next", netip.Addr{}); err != nil || got != addr("198.19.2.1") {
		t.Fatalf("Allocate = %s, %v; want 198.19.2.1 from pool other", got, err)
	}
	if _, err := a.Allocate("x", addr("198.19.0.15")); !errors.Is(err, ErrNotInPool) {
		t.Errorf("an address only in an unusable pool: %v", err)
	}
	tests := []struct {
		pool                 string
		allocated, available int64
		ok                   bool
	}{
		{"default", 6, 0, true},
		{"other", 1, 1, true},
		{"a-overlap", 3, 0, true},
		{"v6", 0, 255, true},
		{"broken", 0, 0, false},
		{"missing", 0, 0, false},
	}
	for _, tt := range tests {
		allocated, available, ok := a.Usage(tt.pool)
		if allocated != tt.allocated || available != tt.available || ok != tt.ok {
			t.Errorf("Usage(%s) = %d, %d, %t; want %d, %d, %t", tt.pool, allocated, available, ok, tt.allocated, tt.available, tt.ok)
		}
	}
	// Pools can change under existing allocations: they are kept.
	a.SetPools([]PoolSpec{{"other", []string{"198.19.2.1-198.19.2.2"}}})
	if got, ok := a.Lookup("o0"); !ok || got != addr("198.19.0.1") {
		t.Errorf("allocation lost when its pool went away: %s, %t", got, ok)
	}
	if got, err := a.Allocate("o0", netip.Addr{}); err != nil || got != addr("198.19.0.1") {
		t.Errorf("Allocate for an owner outside every pool = %s, %v", got, err)
	}
}
