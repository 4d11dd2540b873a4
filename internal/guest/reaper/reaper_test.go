package reaper

import (
	"context"
	"os/exec"
	"testing"
)

func TestRunCmd(t *testing.T) {
	r := New(false)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"/bin/sh", "-c", "exit 0"}, ""},
		{[]string{"/bin/sh", "-c", "exit 3"}, "exit status 3"},
		{[]string{"/bin/sh", "-c", "kill -9 $$"}, "killed by signal killed"},
	}
	for _, tt := range tests {
		t.Run(tt.args[2], func(t *testing.T) {
			err := r.RunCmd(context.Background(), exec.Command(tt.args[0], tt.args[1:]...))
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("RunCmd = %q, want %q", got, tt.want)
			}
		})
	}
}
