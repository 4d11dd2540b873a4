package local

import (
	"os"
	"strings"
	"testing"
)

func TestCheckStatic(t *testing.T) {
	if err := checkStatic("/bin/sh"); err == nil || !strings.Contains(err.Error(), "CGO_ENABLED=0") {
		t.Errorf("checkStatic(/bin/sh) = %v, want a dynamic-linking error", err)
	}
	if _, err := os.Stat("/bin/busybox"); err == nil {
		if err := checkStatic("/bin/busybox"); err != nil {
			t.Errorf("checkStatic(/bin/busybox) = %v", err)
		}
	}
	if err := checkStatic("/etc/hostname"); err == nil {
		t.Errorf("checkStatic accepted a non-ELF file")
	}
}
