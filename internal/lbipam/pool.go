package lbipam

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/big"
	"net/netip"
	"slices"
	"strings"
)

// ErrInvalidRange: an entry of a pool is neither a CIDR nor a range of two
// addresses of one family with the first not after the last.
var ErrInvalidRange = errors.New("invalid address range")

// Range is an inclusive range of addresses of one family.
type Range struct {
	// First and Last are the range's ends; First <= Last.
	First, Last netip.Addr
}

// ParseRange parses a CIDR or an inclusive "first-last" range. An IPv4 CIDR
// of /30 or shorter leaves out its network and broadcast addresses, which
// some clients and routers treat specially; other CIDRs and explicit ranges
// are used whole.
func ParseRange(s string) (Range, error) {
	s = strings.TrimSpace(s)
	if first, last, ok := strings.Cut(s, "-"); ok {
		a, errA := netip.ParseAddr(strings.TrimSpace(first))
		b, errB := netip.ParseAddr(strings.TrimSpace(last))
		switch {
		case errA != nil || errB != nil:
			return Range{}, fmt.Errorf("%q: %w: want two addresses", s, ErrInvalidRange)
		case a.Is4() != b.Is4():
			return Range{}, fmt.Errorf("%q: %w: the ends are of different families", s, ErrInvalidRange)
		case b.Less(a):
			return Range{}, fmt.Errorf("%q: %w: the first address is after the last", s, ErrInvalidRange)
		}
		return Range{First: a.Unmap(), Last: b.Unmap()}, nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return Range{}, fmt.Errorf("%q: %w: want a CIDR such as 198.19.0.0/16 or a range such as 198.19.0.10-198.19.0.99", s, ErrInvalidRange)
	}
	p = p.Masked()
	r := Range{First: p.Addr(), Last: lastOf(p)}
	if p.Addr().Is4() && p.Bits() <= 30 {
		r.First, r.Last = r.First.Next(), r.Last.Prev()
	}
	return r, nil
}

// lastOf is the last address of p.
func lastOf(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// String is the range in "first-last" form.
func (r Range) String() string { return r.First.String() + "-" + r.Last.String() }

// Contains reports whether a is in r.
func (r Range) Contains(a netip.Addr) bool {
	a = a.Unmap()
	return a.BitLen() == r.First.BitLen() && r.First.Compare(a) <= 0 && a.Compare(r.Last) <= 0
}

// overlaps reports whether r and o share an address.
func (r Range) overlaps(o Range) bool {
	return r.First.BitLen() == o.First.BitLen() && r.First.Compare(o.Last) <= 0 && o.First.Compare(r.Last) <= 0
}

// size is the number of addresses in r.
func (r Range) size() *big.Int {
	n := new(big.Int).Sub(new(big.Int).SetBytes(r.Last.AsSlice()), new(big.Int).SetBytes(r.First.AsSlice()))
	return n.Add(n, big.NewInt(1))
}

// Pool is a named set of address ranges.
type Pool struct {
	// Name is the LoadBalancerPool's name.
	Name string
	// Ranges are sorted and do not overlap or touch.
	Ranges []Range
}

// ParsePool parses a pool's address list (CIDRs and ranges). Ranges that
// overlap or touch are merged.
func ParsePool(name string, addresses []string) (Pool, error) {
	p := Pool{Name: name}
	var errs []error
	for _, s := range addresses {
		r, err := ParseRange(s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		p.Ranges = append(p.Ranges, r)
	}
	if err := errors.Join(errs...); err != nil {
		return Pool{}, err
	}
	if len(p.Ranges) == 0 {
		return Pool{}, fmt.Errorf("%w: the pool has no addresses", ErrInvalidRange)
	}
	slices.SortFunc(p.Ranges, func(a, b Range) int {
		return cmp.Or(cmp.Compare(a.First.BitLen(), b.First.BitLen()), a.First.Compare(b.First))
	})
	merged := p.Ranges[:1]
	for _, r := range p.Ranges[1:] {
		last := &merged[len(merged)-1]
		if last.overlaps(r) || (last.Last.BitLen() == r.First.BitLen() && last.Last.Next() == r.First) {
			if last.Last.Less(r.Last) {
				last.Last = r.Last
			}
			continue
		}
		merged = append(merged, r)
	}
	p.Ranges = merged
	return p, nil
}

// Contains reports whether a is in the pool.
func (p *Pool) Contains(a netip.Addr) bool {
	for _, r := range p.Ranges {
		if r.Contains(a) {
			return true
		}
	}
	return false
}

// Overlaps reports whether p and o share an address.
func (p *Pool) Overlaps(o *Pool) bool {
	for _, r := range p.Ranges {
		for _, s := range o.Ranges {
			if r.overlaps(s) {
				return true
			}
		}
	}
	return false
}

// Size is the number of addresses in the pool, or math.MaxInt64 when there
// are more (large IPv6 pools).
func (p *Pool) Size() int64 {
	n := new(big.Int)
	for _, r := range p.Ranges {
		n.Add(n, r.size())
	}
	if !n.IsInt64() {
		return math.MaxInt64
	}
	return n.Int64()
}
