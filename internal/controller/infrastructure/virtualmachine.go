package infrastructure

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"text/template"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	vmopv1 "github.com/kubevisor/kubevisor/api/vmoperator/v1alpha3"
	vmwarev1 "github.com/kubevisor/kubevisor/api/vmware/v1beta1"
)

const (
	// BootstrapDataKey is the key of the bootstrap data Secret that holds
	// the cloud-init user data: Cluster API's kubeadm bootstrap provider
	// writes it under "value" (with "format": "cloud-config").
	BootstrapDataKey = "value"

	// ProviderIDPrefix starts a machine's provider ID; the VM's BIOS UUID
	// follows, as CAPV writes it.
	ProviderIDPrefix = "vsphere://"

	// maxVMNameLength is where a templated VM name is cut.
	maxVMNameLength = 63
)

// copiedMachineLabels are the Machine's labels its VirtualMachine carries
// too: its cluster, its control plane or MachineDeployment, and the
// topology that made it.
var copiedMachineLabels = []string{
	clusterv1.ClusterNameLabel,
	clusterv1.MachineControlPlaneLabel,
	clusterv1.MachineControlPlaneNameLabel,
	clusterv1.MachineDeploymentNameLabel,
	clusterv1.ClusterTopologyOwnedLabel,
	clusterv1.ClusterTopologyMachineDeploymentNameLabel,
}

// machineInputs are what a VSphereMachine's VM Service objects are made
// from.
type machineInputs struct {
	vsm     *vmwarev1.VSphereMachine
	machine *clusterv1.Machine
	// clusterName is the Cluster API cluster's name.
	clusterName string
	// controlPlaneInitialized: the cluster's first control-plane node is up
	// (Cluster status.initialization.controlPlaneInitialized).
	controlPlaneInitialized bool
}

// isControlPlane says whether m is a control-plane machine.
func isControlPlane(m *clusterv1.Machine) bool {
	_, ok := m.Labels[clusterv1.MachineControlPlaneLabel]
	return ok
}

// ProviderID is the provider ID of a machine whose VM has the given BIOS
// UUID.
func ProviderID(biosUUID string) string { return ProviderIDPrefix + biosUUID }

// ClaimName is the name of the PersistentVolumeClaim of a machine's extra
// volume: <VSphereMachine name>-<volume name>.
func ClaimName(vsphereMachine, volume string) string { return vsphereMachine + "-" + volume }

// virtualMachineName is the name of a machine's VM: the VSphereMachine's
// name (which Cluster API makes the Machine's), or what its naming template
// renders for the Machine's name, cut to 63 characters.
func virtualMachineName(vsm *vmwarev1.VSphereMachine, machineName string) (string, error) {
	if vsm.Spec.NamingStrategy == nil || vsm.Spec.NamingStrategy.Template == nil {
		return vsm.Name, nil
	}
	text := *vsm.Spec.NamingStrategy.Template
	tpl, err := template.New("name").Funcs(nameFuncs).Option("missingkey=error").Parse(text)
	if err != nil {
		return "", fmt.Errorf("spec.namingStrategy.template %q: %w", text, err)
	}
	var buf bytes.Buffer
	data := map[string]any{"machine": map[string]any{"name": machineName}}
	if err := tpl.Execute(&buf, data); err != nil {
		return "", fmt.Errorf("spec.namingStrategy.template %q: %w", text, err)
	}
	name := buf.String()
	if len(name) > maxVMNameLength {
		name = name[:maxVMNameLength]
	}
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return "", fmt.Errorf("spec.namingStrategy.template %q renders %q, which is not a valid name: %s", text, name, strings.Join(errs, "; "))
	}
	return name, nil
}

// nameFuncs are the functions of naming templates, as CAPV offers them.
var nameFuncs = template.FuncMap{
	// trimSuffix "-x" s removes a trailing "-x" from s.
	"trimSuffix": func(suffix, s string) string { return strings.TrimSuffix(s, suffix) },
	// trunc n s keeps the first n characters of s, or the last -n when n
	// is negative.
	"trunc": func(n int, s string) string {
		switch {
		case n >= 0 && len(s) > n:
			return s[:n]
		case n < 0 && len(s) > -n:
			return s[len(s)+n:]
		}
		return s
	},
}

// powerOffMode maps a VSphereMachine's power-off mode (hard when unset) to
// the VirtualMachine's.
func powerOffMode(m vmwarev1.VirtualMachinePowerOpMode) (vmopv1.VirtualMachinePowerOpMode, error) {
	switch m {
	case vmwarev1.VirtualMachinePowerOpModeHard, "":
		return vmopv1.VirtualMachinePowerOpModeHard, nil
	case vmwarev1.VirtualMachinePowerOpModeSoft:
		return vmopv1.VirtualMachinePowerOpModeSoft, nil
	case vmwarev1.VirtualMachinePowerOpModeTrySoft:
		return vmopv1.VirtualMachinePowerOpModeTrySoft, nil
	}
	return "", fmt.Errorf("spec.powerOffMode %q is not hard, soft or trySoft", m)
}

// hardwareVersion parses "vmx-N" (or "N"); 0 when empty.
func hardwareVersion(v string) (int32, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(strings.TrimPrefix(v, "vmx-"), 10, 32)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("spec.minHardwareVersion %q is not of the form vmx-N", v)
	}
	return int32(n), nil
}

// zone is the failure domain a machine is placed in: the Machine's, or
// else the VSphereMachine's.
func zone(in machineInputs) string {
	if in.machine.Spec.FailureDomain != "" {
		return in.machine.Spec.FailureDomain
	}
	return in.vsm.Spec.FailureDomain
}

// vmLabels are the labels of a machine's VM: its cluster and role (which
// the control-plane load balancer and the guest cloud provider select on),
// its zone, and the Machine's cluster and topology labels.
func vmLabels(in machineInputs) map[string]string {
	role := vmwarev1.ClusterRoleNode
	if isControlPlane(in.machine) {
		role = vmwarev1.ClusterRoleControlPlane
	}
	labels := map[string]string{
		vmwarev1.ClusterNameLabel:  in.clusterName,
		vmwarev1.ClusterRoleLabel:  role,
		clusterv1.ClusterNameLabel: in.clusterName,
	}
	for _, k := range copiedMachineLabels {
		if v, ok := in.machine.Labels[k]; ok {
			labels[k] = v
		}
	}
	if z := zone(in); z != "" {
		labels[vmwarev1.ZoneLabel] = z
	}
	return labels
}

// vmAnnotations put a machine's VM in its cluster module group, with its
// anti-affinity tag.
func vmAnnotations(in machineInputs) map[string]string {
	if isControlPlane(in.machine) {
		return map[string]string{
			vmwarev1.ClusterModuleGroupAnnotation: vmwarev1.ControlPlaneClusterModuleGroup,
			vmwarev1.ProviderTagsAnnotation:       vmwarev1.ControlPlaneVMTag,
		}
	}
	return map[string]string{
		vmwarev1.ClusterModuleGroupAnnotation: WorkerClusterModuleGroup(in.clusterName),
		vmwarev1.ProviderTagsAnnotation:       vmwarev1.WorkerVMTag,
	}
}

// desiredVirtualMachine is the VM of a machine whose Machine has its
// bootstrap data, named name. Control-plane VMs of an initialized cluster
// get a readiness probe on the API server's port, so that the control-plane
// load balancer sends traffic only to API servers that answer; the first
// one has none, so that kubeadm init can reach itself through the load
// balancer.
func desiredVirtualMachine(in machineInputs, name string) (*vmopv1.VirtualMachine, error) {
	if in.machine.Spec.Bootstrap.DataSecretName == nil || *in.machine.Spec.Bootstrap.DataSecretName == "" {
		return nil, fmt.Errorf("machine %s has no bootstrap data yet", in.machine.Name)
	}
	off, err := powerOffMode(in.vsm.Spec.PowerOffMode)
	if err != nil {
		return nil, err
	}
	hw, err := hardwareVersion(in.vsm.Spec.MinHardwareVersion)
	if err != nil {
		return nil, err
	}
	vm := &vmopv1.VirtualMachine{
		ObjectMeta: metav1.ObjectMeta{
			Namespace:   in.vsm.Namespace,
			Name:        name,
			Labels:      vmLabels(in),
			Annotations: vmAnnotations(in),
		},
		Spec: vmopv1.VirtualMachineSpec{
			ImageName:          in.vsm.Spec.ImageName,
			ClassName:          in.vsm.Spec.ClassName,
			StorageClass:       in.vsm.Spec.StorageClass,
			PowerState:         vmopv1.VirtualMachinePowerStateOn,
			PowerOffMode:       off,
			MinHardwareVersion: hw,
			Reserved:           &vmopv1.VirtualMachineReservedSpec{ResourcePolicyName: ResourcePolicyName(in.clusterName)},
			Bootstrap: &vmopv1.VirtualMachineBootstrapSpec{
				CloudInit: &vmopv1.VirtualMachineBootstrapCloudInitSpec{
					RawCloudConfig: &vmopv1.SecretKeySelector{Name: *in.machine.Spec.Bootstrap.DataSecretName, Key: BootstrapDataKey},
				},
			},
		},
	}
	for _, v := range in.vsm.Spec.Volumes {
		claim := ClaimName(in.vsm.Name, v.Name)
		vm.Spec.Volumes = append(vm.Spec.Volumes, vmopv1.VirtualMachineVolume{
			Name:                  claim,
			PersistentVolumeClaim: &vmopv1.PersistentVolumeClaimVolumeSource{ClaimName: claim},
		})
	}
	if isControlPlane(in.machine) && in.controlPlaneInitialized {
		vm.Spec.ReadinessProbe = &vmopv1.VirtualMachineReadinessProbeSpec{
			TCPSocket: &vmopv1.TCPSocketAction{Port: intstr.FromInt32(APIServerPort)},
		}
	}
	return vm, nil
}

// applyVirtualMachine brings have, the VM as it is, to want field by
// field, as CAPV does, and reports whether it changed anything. Fields
// others may set (the class, image and storage class once chosen, the
// hardware version, the resource policy, the zone label) are only filled in
// when empty; volumes others attach (guest cluster volumes) and a readiness
// probe already set are kept.
func applyVirtualMachine(have, want *vmopv1.VirtualMachine) bool {
	changed := false
	fill := func(dst *string, v string) {
		if *dst == "" && v != "" {
			*dst, changed = v, true
		}
	}
	fill(&have.Spec.ImageName, want.Spec.ImageName)
	fill(&have.Spec.ClassName, want.Spec.ClassName)
	fill(&have.Spec.StorageClass, want.Spec.StorageClass)
	if have.Spec.PowerState != want.Spec.PowerState {
		have.Spec.PowerState, changed = want.Spec.PowerState, true
	}
	if have.Spec.PowerOffMode != want.Spec.PowerOffMode {
		have.Spec.PowerOffMode, changed = want.Spec.PowerOffMode, true
	}
	if have.Spec.MinHardwareVersion == 0 && want.Spec.MinHardwareVersion != 0 {
		have.Spec.MinHardwareVersion, changed = want.Spec.MinHardwareVersion, true
	}
	if want.Spec.Reserved != nil {
		if have.Spec.Reserved == nil {
			have.Spec.Reserved = &vmopv1.VirtualMachineReservedSpec{}
		}
		fill(&have.Spec.Reserved.ResourcePolicyName, want.Spec.Reserved.ResourcePolicyName)
	}
	if want.Spec.Bootstrap != nil {
		if have.Spec.Bootstrap == nil {
			have.Spec.Bootstrap, changed = &vmopv1.VirtualMachineBootstrapSpec{}, true
		}
		if !equality.Semantic.DeepEqual(have.Spec.Bootstrap.CloudInit, want.Spec.Bootstrap.CloudInit) {
			have.Spec.Bootstrap.CloudInit, changed = want.Spec.Bootstrap.CloudInit.DeepCopy(), true
		}
	}
	for _, v := range want.Spec.Volumes {
		if !hasClaimVolume(have, v.PersistentVolumeClaim.ClaimName) {
			have.Spec.Volumes, changed = append(have.Spec.Volumes, *v.DeepCopy()), true
		}
	}
	if p := want.Spec.ReadinessProbe; p != nil {
		switch {
		case have.Spec.ReadinessProbe == nil:
			have.Spec.ReadinessProbe, changed = p.DeepCopy(), true
		case have.Spec.ReadinessProbe.TCPSocket == nil || have.Spec.ReadinessProbe.TCPSocket.Port != p.TCPSocket.Port:
			have.Spec.ReadinessProbe.TCPSocket, changed = p.TCPSocket.DeepCopy(), true
		}
	}
	labels := make(map[string]string, len(want.Labels))
	for k, v := range want.Labels {
		// A VM's zone never changes once set.
		if _, placed := have.Labels[vmwarev1.ZoneLabel]; k == vmwarev1.ZoneLabel && placed {
			continue
		}
		labels[k] = v
	}
	if mergeLabels(have, labels) {
		changed = true
	}
	if mergeAnnotations(have, want.Annotations) {
		changed = true
	}
	return changed
}

// hasClaimVolume says whether vm has a volume of the named claim.
func hasClaimVolume(vm *vmopv1.VirtualMachine, claim string) bool {
	for _, v := range vm.Spec.Volumes {
		if v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == claim {
			return true
		}
	}
	return false
}

// desiredClaims are the PersistentVolumeClaims of a machine's extra
// volumes: ReadWriteOnce, of the volume's capacity, in the volume's storage
// class or else the machine's.
func desiredClaims(vsm *vmwarev1.VSphereMachine, clusterName string) []*corev1.PersistentVolumeClaim {
	out := make([]*corev1.PersistentVolumeClaim, 0, len(vsm.Spec.Volumes))
	for _, v := range vsm.Spec.Volumes {
		class := v.StorageClass
		if class == "" {
			class = vsm.Spec.StorageClass
		}
		pvc := &corev1.PersistentVolumeClaim{
			ObjectMeta: metav1.ObjectMeta{
				Namespace: vsm.Namespace,
				Name:      ClaimName(vsm.Name, v.Name),
				Labels:    map[string]string{clusterv1.ClusterNameLabel: clusterName},
			},
			Spec: corev1.PersistentVolumeClaimSpec{
				AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				Resources:   corev1.VolumeResourceRequirements{Requests: v.Capacity.DeepCopy()},
			},
		}
		if class != "" {
			pvc.Spec.StorageClassName = &class
		}
		out = append(out, pvc)
	}
	return out
}

// vmPrerequisites are the VirtualMachine conditions that, when False, say
// why the VM Service does not create the VM; CAPV surfaces them the same
// way.
var vmPrerequisites = []string{
	vmopv1.VirtualMachineConditionClassReady,
	vmopv1.VirtualMachineConditionImageReady,
	vmopv1.VirtualMachineConditionVMSetResourcePolicyReady,
	vmopv1.VirtualMachineConditionBootstrapReady,
	vmopv1.VirtualMachineConditionStorageReady,
	vmopv1.VirtualMachineConditionNetworkReady,
	vmopv1.VirtualMachineConditionPlacementReady,
}

// vmObservation is what a VirtualMachine says about a machine.
type vmObservation struct {
	state   vmwarev1.VirtualMachineState
	status  metav1.ConditionStatus
	reason  string
	message string
	// ip is the VM's primary address; biosUUID its BIOS UUID. Both set and
	// status True: the machine is provisioned.
	ip       string
	biosUUID string
}

// observeVirtualMachine reads a VM's progress, from waiting for the VM
// Service to running with an address and a BIOS UUID.
func observeVirtualMachine(vm *vmopv1.VirtualMachine) vmObservation {
	o := vmObservation{status: metav1.ConditionFalse, biosUUID: vm.Status.BiosUUID}
	if n := vm.Status.Network; n != nil {
		o.ip = n.PrimaryIP4
		if o.ip == "" {
			o.ip = n.PrimaryIP6
		}
	}
	switch {
	case !vm.DeletionTimestamp.IsZero():
		o.state, o.reason = vmwarev1.VirtualMachineStateDeleting, vmwarev1.VirtualMachineNotProvisionedReason
		o.message = fmt.Sprintf("VirtualMachine %s is being deleted", vm.Name)
	case !meta.IsStatusConditionTrue(vm.Status.Conditions, vmopv1.VirtualMachineConditionCreated):
		o.state, o.reason = vmwarev1.VirtualMachineStatePending, vmwarev1.VirtualMachineProvisioningReason
		o.message = fmt.Sprintf("waiting for the VM Service to create VirtualMachine %s", vm.Name)
		if t, c := firstFalse(vm.Status.Conditions, vmPrerequisites); c != nil {
			// What the VM Service is missing, for example an unbound class.
			o.reason, o.message = c.Reason, fmt.Sprintf("VirtualMachine %s: %s: %s", vm.Name, t, c.Message)
		} else if c := meta.FindStatusCondition(vm.Status.Conditions, vmopv1.VirtualMachineConditionCreated); c != nil && c.Message != "" {
			o.message = fmt.Sprintf("VirtualMachine %s: %s", vm.Name, c.Message)
		}
	case vm.Status.PowerState != vmopv1.VirtualMachinePowerStateOn:
		o.state, o.reason = vmwarev1.VirtualMachineStateCreated, vmwarev1.VirtualMachinePoweringOnReason
		o.message = fmt.Sprintf("VirtualMachine %s is not powered on yet", vm.Name)
	case o.ip == "":
		o.state, o.reason = vmwarev1.VirtualMachineStatePoweredOn, vmwarev1.VirtualMachineWaitingForNetworkAddressReason
		o.message = fmt.Sprintf("VirtualMachine %s has no IP address yet", vm.Name)
	case o.biosUUID == "":
		o.state, o.reason = vmwarev1.VirtualMachineStatePoweredOn, vmwarev1.VirtualMachineWaitingForBIOSUUIDReason
		o.message = fmt.Sprintf("VirtualMachine %s has no BIOS UUID yet", vm.Name)
	default:
		o.state, o.status, o.reason = vmwarev1.VirtualMachineStateReady, metav1.ConditionTrue, vmwarev1.VirtualMachineProvisionedReason
	}
	return o
}

// firstFalse is the first of the given condition types that is False, and
// that condition.
func firstFalse(conditions []metav1.Condition, types []string) (string, *metav1.Condition) {
	for _, t := range types {
		if c := meta.FindStatusCondition(conditions, t); c != nil && c.Status == metav1.ConditionFalse {
			return t, c
		}
	}
	return "", nil
}
