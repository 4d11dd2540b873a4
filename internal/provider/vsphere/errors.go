package vsphere

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/vapi/rest"
	"github.com/vmware/govmomi/vapi/vcenter"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/kubevisor/kubevisor/internal/provider"
)

// invalidFaults are the vSphere faults that say the request itself is
// wrong: sending it again cannot succeed.
var invalidFaults = []types.BaseMethodFault{
	&types.InvalidArgument{},
	&types.InvalidDeviceSpec{},
	&types.InvalidVmConfig{},
	&types.InvalidName{},
	&types.NotSupported{},
	&types.VmConfigIncompatibleForRecordReplay{},
}

// classify wraps err with provider.ErrInvalid when vSphere said the request
// is wrong; other faults (busy, out of resources, a host down, a fault
// injected in a test) stay plain errors, worth retrying.
func classify(err error) error {
	if err == nil || errors.Is(err, provider.ErrInvalid) {
		return err
	}
	for _, f := range invalidFaults {
		if fault.Is(err, f) {
			return fmt.Errorf("%w: %w", provider.ErrInvalid, err)
		}
	}
	return err
}

// isNotFound reports whether vSphere said an object is gone.
func isNotFound(err error) bool {
	return fault.Is(err, &types.ManagedObjectNotFound{})
}

// isRESTNotFound reports whether a vAPI call answered 404.
func isRESTNotFound(err error) bool {
	return rest.IsStatusError(err, http.StatusNotFound)
}

// deployError turns a failed OVF deploy or capture into an error. govmomi
// hands back a typed nil when vCenter reports no detail, which must not
// become a non-nil error whose Error method panics. Errors in the OVF
// (what vCenter calls INPUT, or parse issues) cannot be retried.
func deployError(err error) error {
	var de *vcenter.DeploymentError
	if !errors.As(err, &de) {
		return err
	}
	if de == nil {
		return errors.New("vCenter reported a failure without detail")
	}
	for _, e := range de.Errors {
		if e.Category == "INPUT" || len(e.Issues) > 0 {
			return fmt.Errorf("%w: %w", provider.ErrInvalid, err)
		}
	}
	return err
}
