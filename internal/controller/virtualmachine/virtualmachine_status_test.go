package virtualmachine

import (
	"context"
	"net"
	"strconv"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	vmopv1 "github.com/kubevisor/kubevisor/api/vmoperator/v1alpha3"
	"github.com/kubevisor/kubevisor/internal/provider"
)

func TestApplyProviderStatus(t *testing.T) {
	withCloudInit := func() *vmopv1.VirtualMachine {
		return &vmopv1.VirtualMachine{Spec: vmopv1.VirtualMachineSpec{Bootstrap: &vmopv1.VirtualMachineBootstrapSpec{CloudInit: &vmopv1.VirtualMachineBootstrapCloudInitSpec{}}}}
	}
	tests := []struct {
		name       string
		vm         *vmopv1.VirtualMachine
		st         provider.Status
		wantGuest  metav1.ConditionStatus
		wantReason string
	}{
		{"bootstrap running", withCloudInit(), provider.Status{PowerState: provider.PoweredOn}, metav1.ConditionFalse, "Running"},
		{"bootstrap done", withCloudInit(), provider.Status{PowerState: provider.PoweredOn, BootstrapDone: true}, metav1.ConditionTrue, vmopv1.TrueReason},
		{"bootstrap failed", withCloudInit(), provider.Status{PowerState: provider.PoweredOn, BootstrapError: "runcmd failed"}, metav1.ConditionFalse, "BootstrapFailed"},
		{"no bootstrap", &vmopv1.VirtualMachine{}, provider.Status{PowerState: provider.PoweredOn}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			applyProviderStatus(tt.vm, tt.st)
			c := meta.FindStatusCondition(tt.vm.Status.Conditions, vmopv1.GuestBootstrapCondition)
			if tt.wantGuest == "" {
				if c != nil {
					t.Fatalf("unexpected GuestBootstrap condition %+v", c)
				}
				return
			}
			if c == nil || c.Status != tt.wantGuest || c.Reason != tt.wantReason {
				t.Fatalf("GuestBootstrap = %+v, want %s/%s", c, tt.wantGuest, tt.wantReason)
			}
			if !meta.IsStatusConditionTrue(tt.vm.Status.Conditions, vmopv1.VirtualMachineConditionCreated) {
				t.Fatal("VirtualMachineCreated is not True")
			}
		})
	}
}

func TestProbeReadiness(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	open := ln.Addr().(*net.TCPAddr).Port
	closedLn, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := closedLn.Addr().(*net.TCPAddr).Port
	closedLn.Close()

	probe := func(port int) *vmopv1.VirtualMachine {
		return &vmopv1.VirtualMachine{Spec: vmopv1.VirtualMachineSpec{ReadinessProbe: &vmopv1.VirtualMachineReadinessProbeSpec{
			TCPSocket: &vmopv1.TCPSocketAction{Port: intstr.FromString(strconv.Itoa(port))},
		}}}
	}
	on := provider.Status{PowerState: provider.PoweredOn, PrimaryIP4: "127.0.0.1"}
	tests := []struct {
		name      string
		vm        *vmopv1.VirtualMachine
		st        provider.Status
		wantNil   bool
		wantReady bool
	}{
		{"no probe", &vmopv1.VirtualMachine{}, on, true, false},
		{"port open", probe(open), on, false, true},
		{"port closed", probe(closed), on, false, false},
		{"powered off", probe(open), provider.Status{PowerState: provider.PoweredOff, PrimaryIP4: "127.0.0.1"}, false, false},
		{"no address", probe(open), provider.Status{PowerState: provider.PoweredOn}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := probeReadiness(context.Background(), tt.vm, tt.st)
			if (r == nil) != tt.wantNil {
				t.Fatalf("readiness = %+v, want nil %v", r, tt.wantNil)
			}
			if r != nil && r.ready != tt.wantReady {
				t.Fatalf("ready = %v (%s), want %v", r.ready, r.message, tt.wantReady)
			}
		})
	}
}

func TestOrphans(t *testing.T) {
	got := Orphans([]string{"a", "b", "c"}, map[string]bool{"b": true})
	if len(got) != 2 || got[0] != "a" || got[1] != "c" {
		t.Fatalf("Orphans = %v", got)
	}
}
