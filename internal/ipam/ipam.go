package ipam

import (
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// ErrExhausted is returned when every address of the subnet is taken.
var ErrExhausted = errors.New("no free address")

const cursorFile = ".next"

// Allocator allocates the host addresses of a subnet, skipping the network
// address, the broadcast address and the reserved ones (the gateway).
type Allocator struct {
	dir      string
	prefix   netip.Prefix
	reserved map[netip.Addr]bool

	mu sync.Mutex
}

// New returns an allocator for prefix (an IPv4 subnet of /30 or larger)
// keeping its state in dir, which it creates. reserved addresses (such as
// the gateway) are never handed out.
func New(dir string, prefix netip.Prefix, reserved ...netip.Addr) (*Allocator, error) {
	if !prefix.Addr().Is4() || prefix.Bits() > 30 {
		return nil, fmt.Errorf("subnet %s: want an IPv4 subnet of /30 or larger", prefix)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating IPAM directory: %w", err)
	}
	a := &Allocator{dir: dir, prefix: prefix.Masked(), reserved: map[netip.Addr]bool{}}
	for _, r := range reserved {
		a.reserved[r] = true
	}
	return a, nil
}

// Prefix is the subnet the allocator hands out.
func (a *Allocator) Prefix() netip.Prefix { return a.prefix }

// Allocate returns owner's address: the one it already holds, or a new
// one. It is safe to call again and from several processes.
func (a *Allocator) Allocate(owner string) (netip.Addr, error) {
	if owner == "" || strings.ContainsAny(owner, "\n") {
		return netip.Addr{}, fmt.Errorf("invalid owner %q", owner)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if addr, ok, err := a.lookup(owner); err != nil || ok {
		return addr, err
	}
	first, last := hostRange(a.prefix)
	start := a.readCursor(first, last)
	addr := start
	for {
		if !a.reserved[addr] {
			err := a.claim(addr, owner)
			if err == nil {
				a.writeCursor(next(addr, first, last))
				return addr, nil
			}
			if !errors.Is(err, fs.ErrExist) {
				return netip.Addr{}, err
			}
		}
		addr = next(addr, first, last)
		if addr == start {
			return netip.Addr{}, fmt.Errorf("allocating an address in %s: %w", a.prefix, ErrExhausted)
		}
	}
}

// Lookup returns owner's address, if it holds one.
func (a *Allocator) Lookup(owner string) (netip.Addr, bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.lookup(owner)
}

// Release frees every address owner holds. Releasing nothing is not an
// error.
func (a *Allocator) Release(owner string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	all, err := a.all()
	if err != nil {
		return err
	}
	for addr, o := range all {
		if o != owner {
			continue
		}
		if err := os.Remove(filepath.Join(a.dir, addr.String())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("releasing %s: %w", addr, err)
		}
	}
	return nil
}

// All returns every allocation: address → owner.
func (a *Allocator) All() (map[netip.Addr]string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.all()
}

func (a *Allocator) lookup(owner string) (netip.Addr, bool, error) {
	all, err := a.all()
	if err != nil {
		return netip.Addr{}, false, err
	}
	var found []netip.Addr
	for addr, o := range all {
		if o == owner {
			found = append(found, addr)
		}
	}
	if len(found) == 0 {
		return netip.Addr{}, false, nil
	}
	// One owner, one address; should a crash have left two, keep the lowest.
	best := found[0]
	for _, f := range found[1:] {
		if f.Less(best) {
			best = f
		}
	}
	return best, true, nil
}

func (a *Allocator) all() (map[netip.Addr]string, error) {
	entries, err := os.ReadDir(a.dir)
	if err != nil {
		return nil, fmt.Errorf("reading IPAM directory: %w", err)
	}
	out := map[netip.Addr]string{}
	for _, e := range entries {
		addr, err := netip.ParseAddr(e.Name())
		if err != nil || !a.prefix.Contains(addr) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(a.dir, e.Name()))
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, fmt.Errorf("reading allocation %s: %w", addr, err)
		}
		out[addr] = strings.TrimSpace(string(b))
	}
	return out, nil
}

// claim creates the allocation file atomically: O_EXCL decides the race.
// The owner is written to a temporary file first and linked into place, so
// that a reader never sees an empty allocation.
func (a *Allocator) claim(addr netip.Addr, owner string) error {
	tmp, err := os.CreateTemp(a.dir, ".claim-*")
	if err != nil {
		return fmt.Errorf("claiming %s: %w", addr, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(owner + "\n"); err != nil {
		tmp.Close()
		return fmt.Errorf("claiming %s: %w", addr, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("claiming %s: %w", addr, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("claiming %s: %w", addr, err)
	}
	// link(2) fails with EEXIST if the address is taken.
	if err := os.Link(tmp.Name(), filepath.Join(a.dir, addr.String())); err != nil {
		var le *os.LinkError
		if errors.As(err, &le) && errors.Is(le.Err, fs.ErrExist) {
			return fs.ErrExist
		}
		return fmt.Errorf("claiming %s: %w", addr, err)
	}
	return nil
}

func (a *Allocator) readCursor(first, last netip.Addr) netip.Addr {
	b, err := os.ReadFile(filepath.Join(a.dir, cursorFile))
	if err != nil {
		return first
	}
	addr, err := netip.ParseAddr(strings.TrimSpace(string(b)))
	if err != nil || addr.Less(first) || last.Less(addr) {
		return first
	}
	return addr
}

// writeCursor is a hint only: losing it costs a longer scan, never a
// duplicate, so errors are ignored.
func (a *Allocator) writeCursor(addr netip.Addr) {
	tmp := filepath.Join(a.dir, cursorFile+".tmp")
	if os.WriteFile(tmp, []byte(addr.String()+"\n"), 0o644) == nil {
		_ = os.Rename(tmp, filepath.Join(a.dir, cursorFile))
	}
}

// hostRange is the first and last host address of an IPv4 prefix.
func hostRange(p netip.Prefix) (first, last netip.Addr) {
	base := p.Masked().Addr().As4()
	n := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
	size := uint32(1) << (32 - p.Bits())
	return fromUint32(n + 1), fromUint32(n + size - 2)
}

func next(addr, first, last netip.Addr) netip.Addr {
	if addr == last {
		return first
	}
	return addr.Next()
}

func fromUint32(n uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
}
