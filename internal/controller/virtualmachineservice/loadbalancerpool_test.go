package virtualmachineservice

import (
	"fmt"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kubevisorv1 "github.com/kubevisor/kubevisor/api/kubevisor/v1alpha1"
	"github.com/kubevisor/kubevisor/internal/lbipam"
)

func TestSetPoolReadyCondition(t *testing.T) {
	tests := []struct {
		name                 string
		problem              error
		allocated, available int64
		wantStatus           metav1.ConditionStatus
		wantReason           string
	}{
		{"available", nil, 3, 10, metav1.ConditionTrue, kubevisorv1.PoolAvailableReason},
		{"exhausted", nil, 10, 0, metav1.ConditionFalse, kubevisorv1.PoolExhaustedReason},
		{"invalid", fmt.Errorf(`"1.2.3.9-1.2.3.1": %w`, lbipam.ErrInvalidRange), 0, 0, metav1.ConditionFalse, kubevisorv1.InvalidRangeReason},
		{"overlap", fmt.Errorf("%w default", lbipam.ErrOverlap), 2, 0, metav1.ConditionFalse, kubevisorv1.AddressesOverlapReason},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pool := &kubevisorv1.LoadBalancerPool{ObjectMeta: metav1.ObjectMeta{Name: "p", Generation: 4}}
			pool.Status.Allocated, pool.Status.Available = tt.allocated, tt.available
			setPoolReadyCondition(pool, tt.problem)
			c := findCondition(pool.Status.Conditions, kubevisorv1.ReadyCondition)
			if c == nil || c.Status != tt.wantStatus || c.Reason != tt.wantReason || c.ObservedGeneration != 4 || c.Message == "" {
				t.Errorf("Ready = %+v, want %s/%s", c, tt.wantStatus, tt.wantReason)
			}
		})
	}
}
