package kubevisor

import (
	"errors"
	"reflect"
	"testing"

	"golang.org/x/sys/unix"
)

func TestReadOnlyMappings(t *testing.T) {
	const maps = `00400000-00403000 r--p 00000000 103:01 1234                               /opt/kube visor/bin/kubevisor
00403000-04b55000 r-xp 00003000 103:01 1234                               /opt/kube visor/bin/kubevisor
04b55000-0a185000 r--p 04755000 103:01 1234                               /opt/kube visor/bin/kubevisor
0a185000-0a188000 rw-p 09d85000 103:01 1234                               /opt/kube visor/bin/kubevisor
0a188000-0a190000 r--p 00000000 103:01 99                                 /opt/kube visor/bin/kubevisor-guest
7f0000000000-7f0000001000 r-xp 00000000 00:00 0                          [vdso]
7f0000002000-7f0000003000 r--p 00000000 103:01 1234                       /opt/kube visor/bin/kubevisor (deleted)
7f0000004000-7f0000005000 rw-p 00000000 00:00 0
`
	cases := []struct {
		path string
		want []mapping
	}{
		{"/opt/kube visor/bin/kubevisor", []mapping{{0x400000, 0x403000}, {0x403000, 0x4b55000}, {0x4b55000, 0xa185000}}},
		{"/opt/kube visor/bin/kubevisor (deleted)", []mapping{{0x7f0000002000, 0x7f0000003000}}},
		{"[vdso]", []mapping{{0x7f0000000000, 0x7f0000001000}}},
		{"/nonexistent", nil},
	}
	for _, tc := range cases {
		if got := readOnlyMappings([]byte(maps), tc.path); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("readOnlyMappings(%q) = %x, want %x", tc.path, got, tc.want)
		}
	}
}

// TestReleaseExecutablePages runs the reclaim on the test binary itself:
// the kernel accepts the advice for every read-only mapping of it, pages
// leave memory, and the process runs on, its code read back as needed.
func TestReleaseExecutablePages(t *testing.T) {
	before, after, err := releaseExecutablePages()
	if errors.Is(err, unix.EINVAL) {
		t.Skipf("this kernel or these mappings refuse MADV_PAGEOUT: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if before <= 0 || after < 0 {
		t.Fatalf("resident file pages %d before, %d after: want both read from /proc/self/status", before, after)
	}
	t.Logf("resident file-backed memory: %d KiB before, %d KiB after", before>>10, after>>10)
	// The test binary is freshly written and owned by this user, and no
	// other process maps it, so some of its pages must go.
	if after >= before {
		t.Errorf("no page of the executable was reclaimed (%d KiB resident before and %d KiB after)", before>>10, after>>10)
	}
}
