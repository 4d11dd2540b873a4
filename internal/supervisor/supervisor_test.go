package supervisor

import "testing"

func TestDefaultWatchCache(t *testing.T) {
	for kind, want := range map[string]bool{"sqlite": false, "etcd": true, "postgres": true} {
		if got := DefaultWatchCache(kind); got != want {
			t.Errorf("DefaultWatchCache(%q) = %v, want %v", kind, got, want)
		}
	}
}
