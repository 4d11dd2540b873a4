package lbipam

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"sync"
)

// Errors of Allocate and Restore. They are wrapped with detail.
var (
	// ErrNoPool: no usable pool exists.
	ErrNoPool = errors.New("no usable load-balancer pool")
	// ErrExhausted: every address of every usable pool is taken.
	ErrExhausted = errors.New("every load-balancer address is in use")
	// ErrNotInPool: the address asked for is in no usable pool.
	ErrNotInPool = errors.New("address is in no usable load-balancer pool")
	// ErrInUse: the address asked for belongs to another owner.
	ErrInUse = errors.New("address is in use")
	// ErrOverlap: a pool shares addresses with a pool before it, so it is
	// not used.
	ErrOverlap = errors.New("addresses overlap another pool")
)

// Allocator hands out addresses from pools, each to one owner. It is safe
// for concurrent use.
type Allocator struct {
	mu sync.Mutex
	// all are the pools as last configured, by name; usable is the subset
	// addresses are handed out from, in order.
	all    map[string]*Pool
	usable []*Pool
	// cursor is, per pool name, where the next search starts.
	cursor map[string]netip.Addr
	// owners and addrs are the allocations, both ways round.
	owners map[string]netip.Addr
	addrs  map[netip.Addr]string
}

// New returns an Allocator without pools or allocations.
func New() *Allocator {
	return &Allocator{
		all:    map[string]*Pool{},
		cursor: map[string]netip.Addr{},
		owners: map[string]netip.Addr{},
		addrs:  map[netip.Addr]string{},
	}
}

// PoolSpec is a pool as configured: a name and its CIDRs and ranges.
type PoolSpec struct {
	Name      string
	Addresses []string
}

// SetPools replaces the pools; addresses are handed out from them in the
// order given. It returns, for each pool that is not used for new
// addresses, why: ErrInvalidRange, or ErrOverlap when the pool shares
// addresses with a pool before it. Existing allocations are kept even when
// their pool changes or goes away.
func (a *Allocator) SetPools(specs []PoolSpec) map[string]error {
	problems := map[string]error{}
	all := map[string]*Pool{}
	var usable []*Pool
	for _, spec := range specs {
		name := spec.Name
		p, err := ParsePool(name, spec.Addresses)
		if err != nil {
			problems[name] = err
			continue
		}
		all[name] = &p
		if i := slices.IndexFunc(usable, p.Overlaps); i >= 0 {
			problems[name] = fmt.Errorf("%w %s", ErrOverlap, usable[i].Name)
			continue
		}
		usable = append(usable, &p)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.all, a.usable = all, usable
	return problems
}

// Allocate returns owner's address, choosing one if it has none. With want
// set, the owner gets exactly that address: it must be in a usable pool and
// free (or already the owner's); the owner's previous address, if any, is
// released. On error the owner keeps what it had.
func (a *Allocator) Allocate(owner string, want netip.Addr) (netip.Addr, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	cur, has := a.owners[owner]
	if !want.IsValid() {
		if has {
			return cur, nil
		}
		addr, err := a.free()
		if err != nil {
			return netip.Addr{}, err
		}
		a.assign(owner, addr)
		return addr, nil
	}
	want = want.Unmap()
	if has && cur == want {
		return cur, nil
	}
	if other, used := a.addrs[want]; used {
		return netip.Addr{}, fmt.Errorf("%s: %w by %s", want, ErrInUse, other)
	}
	if a.poolOf(want) == nil {
		return netip.Addr{}, fmt.Errorf("%s: %w", want, ErrNotInPool)
	}
	if has {
		delete(a.addrs, cur)
	}
	a.assign(owner, want)
	return want, nil
}

// Restore records an allocation made before (by an earlier run of the
// Supervisor), whether or not the address is still in a pool. It replaces
// any other address of owner, and fails with ErrInUse when the address
// belongs to another owner.
func (a *Allocator) Restore(owner string, addr netip.Addr) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	addr = addr.Unmap()
	if other, used := a.addrs[addr]; used && other != owner {
		return fmt.Errorf("%s: %w by %s", addr, ErrInUse, other)
	}
	if cur, has := a.owners[owner]; has {
		delete(a.addrs, cur)
	}
	a.owners[owner] = addr
	a.addrs[addr] = owner
	return nil
}

// Release frees owner's address and returns it, if it had one.
func (a *Allocator) Release(owner string) (netip.Addr, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	addr, has := a.owners[owner]
	if has {
		delete(a.owners, owner)
		delete(a.addrs, addr)
	}
	return addr, has
}

// Lookup returns owner's address, if it has one.
func (a *Allocator) Lookup(owner string) (netip.Addr, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	addr, has := a.owners[owner]
	return addr, has
}

// InPool reports whether addr is in a usable pool.
func (a *Allocator) InPool(addr netip.Addr) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.poolOf(addr.Unmap()) != nil
}

// Usage returns how many addresses of the named pool are allocated and how
// many are free. An address in several pools counts for the first usable
// one. A pool that is not usable has no free addresses. ok is false for an
// unknown or unparsable pool.
func (a *Allocator) Usage(pool string) (allocated, available int64, ok bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	p := a.all[pool]
	if p == nil {
		return 0, 0, false
	}
	isUsable := slices.Contains(a.usable, p)
	for addr := range a.addrs {
		if isUsable && a.poolOf(addr) == p || !isUsable && p.Contains(addr) {
			allocated++
		}
	}
	if !isUsable {
		return allocated, 0, true
	}
	size := p.Size()
	if size == math.MaxInt64 {
		return allocated, size, true
	}
	return allocated, size - allocated, true
}

// assign records addr for owner and moves the cursor of addr's pool past
// it.
func (a *Allocator) assign(owner string, addr netip.Addr) {
	a.owners[owner] = addr
	a.addrs[addr] = owner
	if p := a.poolOf(addr); p != nil {
		a.cursor[p.Name] = addr.Next()
	}
}

// poolOf is the first usable pool holding addr, or nil.
func (a *Allocator) poolOf(addr netip.Addr) *Pool {
	for _, p := range a.usable {
		if p.Contains(addr) {
			return p
		}
	}
	return nil
}

// free finds a free address: the first usable pool with one wins, and
// within a pool the search starts at its cursor and wraps around.
func (a *Allocator) free() (netip.Addr, error) {
	if len(a.usable) == 0 {
		return netip.Addr{}, ErrNoPool
	}
	for _, p := range a.usable {
		start := a.cursor[p.Name]
		if !p.Contains(start) {
			start = p.Ranges[0].First
		}
		// From the cursor to the end, then from the start to the cursor.
		if addr, ok := a.scan(p, start, netip.Addr{}); ok {
			return addr, nil
		}
		if addr, ok := a.scan(p, p.Ranges[0].First, start); ok {
			return addr, nil
		}
	}
	return netip.Addr{}, ErrExhausted
}

// scan returns the first free address of p at or after from and before
// until (the end of p when until is the zero Addr).
func (a *Allocator) scan(p *Pool, from, until netip.Addr) (netip.Addr, bool) {
	for _, r := range p.Ranges {
		if r.Last.Less(from) {
			continue
		}
		addr := r.First
		if addr.Less(from) {
			addr = from
		}
		for ; addr.IsValid() && addr.Compare(r.Last) <= 0; addr = addr.Next() {
			if until.IsValid() && addr.Compare(until) >= 0 {
				return netip.Addr{}, false
			}
			if _, used := a.addrs[addr]; !used {
				return addr, true
			}
		}
	}
	return netip.Addr{}, false
}
