package local

import (
	"regexp"
	"testing"
)

func TestNames(t *testing.T) {
	ids := []string{"0b5f1c2e-3a4d-4e5f-8a9b-0c1d2e3f4a5b", "a", "vm.with_dots-and_underscores"}
	macRE := regexp.MustCompile(`^[0-9a-f]{2}(:[0-9a-f]{2}){5}$`)
	uuidRE := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for _, id := range ids {
		t.Run(id, func(t *testing.T) {
			n := namesFor(id)
			if n != namesFor(id) {
				t.Errorf("names are not deterministic")
			}
			if len(n.HostVeth) > 15 || len(n.Netns) > 15 {
				t.Errorf("names too long: %+v", n)
			}
			if !macRE.MatchString(n.HostMAC) || !macRE.MatchString(n.GuestMAC) || n.HostMAC == n.GuestMAC {
				t.Errorf("MACs: %s %s", n.HostMAC, n.GuestMAC)
			}
			if n.GuestMAC[:2] != "02" || n.HostMAC[:2] != "06" {
				t.Errorf("MACs must be unicast, locally administered: %s %s", n.HostMAC, n.GuestMAC)
			}
			for _, u := range []string{biosUUID(id), instanceUUID(id), diskUUID("ns", id)} {
				if !uuidRE.MatchString(u) {
					t.Errorf("bad UUID %s", u)
				}
			}
			if biosUUID(id) == instanceUUID(id) {
				t.Errorf("BIOS and instance UUIDs are equal")
			}
			if seen[n.HostVeth] {
				t.Errorf("collision on %s", n.HostVeth)
			}
			seen[n.HostVeth] = true
		})
	}
	if diskUUID("a", "b") == diskUUID("a", "c") || diskUUID("a", "b") == diskUUID("b", "b") {
		t.Errorf("disk UUIDs collide")
	}
}

func TestValidID(t *testing.T) {
	for id, want := range map[string]bool{
		"0b5f1c2e-3a4d-4e5f-8a9b-0c1d2e3f4a5b": true, "vm1": true, "a.b_c": true,
		"": false, "../x": false, "a/b": false, ".hidden": false, "a..b": false, "a b": false,
	} {
		if got := validID(id); got != want {
			t.Errorf("validID(%q) = %v, want %v", id, got, want)
		}
	}
}
