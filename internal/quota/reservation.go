package quota

import (
	"maps"
	"slices"
	"time"
)

// reservation holds the class of a VM that was admitted but that the API
// does not show yet (or does not show with this class yet), so that the
// checks that follow count it.
type reservation struct {
	className string
	expires   time.Time
}

// countedVMs merges the VMs the API shows (live) with the reservations of
// VMs admitted since. A reservation stands in for the live VM of its name
// until the live VM has the reserved class, or until it expires (the
// request that made it failed later on); then it is dropped. It returns
// the VMs to count, in the order of live followed by reservations of VMs
// that are not live yet, and the reservations to keep.
func countedVMs(live []VM, reserved map[string]reservation, now time.Time) ([]VM, map[string]reservation) {
	keep := map[string]reservation{}
	liveClass := make(map[string]string, len(live))
	for _, vm := range live {
		liveClass[vm.Name] = vm.ClassName
	}
	for name, r := range reserved {
		if !now.Before(r.expires) {
			continue
		}
		if class, ok := liveClass[name]; ok && class == r.className {
			continue
		}
		keep[name] = r
	}
	out := make([]VM, 0, len(live)+len(keep))
	for _, vm := range live {
		if r, ok := keep[vm.Name]; ok {
			vm.ClassName = r.className
		}
		out = append(out, vm)
	}
	for _, name := range slices.Sorted(maps.Keys(keep)) {
		if _, ok := liveClass[name]; !ok {
			out = append(out, VM{Name: name, ClassName: keep[name].className})
		}
	}
	return out, keep
}
