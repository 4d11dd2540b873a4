package tkg

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmopv1 "github.com/kubevisor/kubevisor/api/vmoperator/v1alpha3"
	"github.com/kubevisor/kubevisor/internal/quota"
)

// Unapplied are the builtin class's variables this Supervisor accepts but
// does not act on; setting one draws an admission warning.
var Unapplied = map[string]string{
	"ntp":                             "node clocks follow the host's",
	"defaultVolumeSnapshotClass":      "guest volume snapshots are not offered",
	"volumeSnapshotClasses":           "guest volume snapshots are not offered",
	"controlPlaneCertificateRotation": "kubeadm's certificates are renewed by Cluster API's KubeadmControlPlane rollout",
	"podSecurityStandard":             "the guest API server keeps Kubernetes' default Pod Security admission",
	"kubeAPIServerFQDNs":              "the API server certificate names only the load-balancer address",
	"defaultRegistrySecret":           "guest nodes use images preloaded from the release",
	"extensionCert":                   "not used by kubevisor",
	"defaultStorageClass":             "guest StorageClasses are not created yet (no paravirtual CSI)",
	"storageClasses":                  "guest StorageClasses are not created yet (no paravirtual CSI)",
}

// Validator admits Clusters of the builtin class: their release must
// resolve, their VM classes be bound to the namespace, their storage
// classes be assigned to it, and all their VMs fit the namespace's limits.
type Validator struct {
	// Reader reads the API; it should not be a cache.
	Reader client.Reader
	// Quota checks VM classes and limits.
	Quota *quota.Checker
}

// nodeGroup is the control plane or one machine deployment.
type nodeGroup struct {
	field        string // where its variables are, for messages
	name         string
	replicas     int32
	vmClass      string
	vmClassField string
	storage      []storageUse
}

// storageUse is a storage class a cluster asks for, and where.
type storageUse struct{ class, field string }

// ValidateCluster checks c, a Cluster as it will be stored. It returns
// warnings for variables that are accepted but not acted on. Errors are
// *RefusedError when the request must be changed. Nothing is reserved:
// each of the cluster's VMs is admitted on its own when it is created.
func (v *Validator) ValidateCluster(ctx context.Context, c *clusterv1.Cluster) ([]string, error) {
	if !IsBuiltinClass(c) || !c.DeletionTimestamp.IsZero() {
		return nil, nil
	}
	resolved := c.DeepCopy()
	if _, err := (&Resolver{Reader: v.Reader}).Resolve(ctx, resolved); err != nil {
		return nil, err
	}
	groups, warnings, err := nodeGroups(c)
	if err != nil {
		return nil, err
	}
	if err := v.checkStorage(ctx, c.Namespace, groups); err != nil {
		return warnings, err
	}
	return warnings, v.checkVMs(ctx, c, groups)
}

// nodeGroups reads the node groups of c from its topology and variables.
func nodeGroups(c *clusterv1.Cluster) ([]nodeGroup, []string, error) {
	t := c.Spec.Topology
	vars := map[string][]byte{}
	var warnings []string
	for _, v := range t.Variables {
		vars[v.Name] = v.Value.Raw
		if why, ok := Unapplied[v.Name]; ok && len(v.Value.Raw) > 0 && string(v.Value.Raw) != "null" {
			warnings = append(warnings, fmt.Sprintf("variable %s is accepted but not applied: %s", v.Name, why))
		}
	}
	sort.Strings(warnings)
	cp := nodeGroup{field: "spec.topology.variables", name: "control plane", replicas: 1}
	if t.ControlPlane.Replicas != nil {
		cp.replicas = *t.ControlPlane.Replicas
	}
	if err := readGroup(&cp, vars, "controlPlaneVolumes"); err != nil {
		return nil, nil, err
	}
	groups := []nodeGroup{cp}
	for i, md := range t.Workers.MachineDeployments {
		g := nodeGroup{field: fmt.Sprintf("spec.topology.workers.machineDeployments[%d].variables.overrides", i), name: "node pool " + md.Name, replicas: 1}
		if md.Replicas != nil {
			g.replicas = *md.Replicas
		}
		mdVars := map[string][]byte{}
		for k, v := range vars {
			mdVars[k] = v
		}
		for _, o := range md.Variables.Overrides {
			mdVars[o.Name] = o.Value.Raw
		}
		if err := readGroup(&g, mdVars, "nodePoolVolumes"); err != nil {
			return nil, nil, err
		}
		// Fields not overridden are the cluster's.
		overridden := map[string]bool{}
		for _, o := range md.Variables.Overrides {
			overridden[o.Name] = true
		}
		if !overridden["vmClass"] {
			g.vmClassField = "spec.topology.variables[vmClass]"
		}
		if !overridden["storageClass"] {
			g.storage[0].field = "spec.topology.variables[storageClass]"
		}
		groups = append(groups, g)
	}
	return groups, warnings, nil
}

// readGroup fills g's class and storage from vars.
func readGroup(g *nodeGroup, vars map[string][]byte, volumesVar string) error {
	g.vmClassField = g.field + "[vmClass]"
	if err := unmarshalVar(vars, "vmClass", g.field, &g.vmClass); err != nil {
		return err
	}
	if g.vmClass == "" {
		return &RefusedError{Field: g.field + "[vmClass]", Message: "is required: name a VirtualMachineClass bound to the namespace (kubectl get vmclass -n NAMESPACE)"}
	}
	var sc string
	if err := unmarshalVar(vars, "storageClass", g.field, &sc); err != nil {
		return err
	}
	if sc == "" {
		return &RefusedError{Field: g.field + "[storageClass]", Message: "is required: name a storage class assigned to the namespace (kubectl get storageclass)"}
	}
	g.storage = append(g.storage, storageUse{class: sc, field: g.field + "[storageClass]"})
	var volumes []struct {
		Name         string `json:"name"`
		StorageClass string `json:"storageClass"`
	}
	if err := unmarshalVar(vars, volumesVar, g.field, &volumes); err != nil {
		return err
	}
	for _, vol := range volumes {
		if vol.StorageClass != "" {
			g.storage = append(g.storage, storageUse{class: vol.StorageClass, field: fmt.Sprintf("%s[%s] volume %q storageClass", g.field, volumesVar, vol.Name)})
		}
	}
	return nil
}

func unmarshalVar(vars map[string][]byte, name, field string, into any) error {
	raw, ok := vars[name]
	if !ok || len(raw) == 0 {
		return nil
	}
	if err := json.Unmarshal(raw, into); err != nil {
		return &RefusedError{Field: field + "[" + name + "]", Message: fmt.Sprintf("has the wrong shape: %v", err)}
	}
	return nil
}

// checkStorage refuses storage classes not assigned to the namespace (or,
// in a namespace that is not a Supervisor namespace, that do not exist).
func (v *Validator) checkStorage(ctx context.Context, namespace string, groups []nodeGroup) error {
	sn, err := quota.SupervisorNamespaceOf(ctx, v.Reader, namespace)
	if err != nil {
		return err
	}
	var assigned []string
	if sn != nil {
		for _, a := range sn.Spec.StorageClasses {
			assigned = append(assigned, a.Name)
		}
	}
	for _, g := range groups {
		for _, use := range g.storage {
			if sn != nil {
				found := false
				for _, a := range assigned {
					found = found || a == use.class
				}
				if !found {
					list := "none"
					if len(assigned) > 0 {
						list = strings.Join(assigned, ", ")
					}
					return &RefusedError{Field: use.field, Message: fmt.Sprintf("storage class %q is not assigned to namespace %s (assigned: %s); an administrator adds it with kubevisor namespace update %s --storage-class %s", use.class, namespace, list, sn.Name, use.class)}
				}
				continue
			}
			err := v.Reader.Get(ctx, client.ObjectKey{Name: use.class}, &storagev1.StorageClass{})
			if apierrors.IsNotFound(err) {
				return &RefusedError{Field: use.field, Message: fmt.Sprintf("storage class %q does not exist (kubectl get storageclass)", use.class)}
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// checkVMs refuses VM classes not bound to the namespace, and clusters
// whose VMs would take the namespace over its CPU or memory limits. The
// cluster's existing VMs are counted once: they fill the cluster's slots
// of their class before new VMs are counted.
func (v *Validator) checkVMs(ctx context.Context, c *clusterv1.Cluster, groups []nodeGroup) error {
	var bound vmopv1.VirtualMachineClassList
	if err := v.Reader.List(ctx, &bound, client.InNamespace(c.Namespace)); err != nil {
		return fmt.Errorf("listing the VM classes of namespace %s: %w", c.Namespace, err)
	}
	var names []string
	for _, b := range bound.Items {
		names = append(names, b.Name)
	}
	sort.Strings(names)
	for _, g := range groups {
		found := false
		for _, n := range names {
			found = found || n == g.vmClass
		}
		if !found {
			list := "none"
			if len(names) > 0 {
				list = strings.Join(names, ", ")
			}
			return &RefusedError{Field: g.vmClassField, Message: fmt.Sprintf("VirtualMachineClass %q is not bound to namespace %s (bound: %s); an administrator binds it with kubevisor namespace update NAME --vm-class %s", g.vmClass, c.Namespace, list, g.vmClass)}
		}
	}

	var existing vmopv1.VirtualMachineList
	if err := v.Reader.List(ctx, &existing, client.InNamespace(c.Namespace), client.MatchingLabels{clusterv1.ClusterNameLabel: c.Name}); err != nil {
		return fmt.Errorf("listing the VMs of cluster %s: %w", c.Name, err)
	}
	free := map[string][]string{}
	for _, vm := range existing.Items {
		free[vm.Spec.ClassName] = append(free[vm.Spec.ClassName], vm.Name)
	}
	var vms []quota.VM
	for gi, g := range groups {
		for i := int32(0); i < g.replicas; i++ {
			name := fmt.Sprintf("%s-planned-%d-%d", c.Name, gi, i)
			if f := free[g.vmClass]; len(f) > 0 {
				name, free[g.vmClass] = f[0], f[1:]
			}
			vms = append(vms, quota.VM{Name: name, ClassName: g.vmClass})
		}
	}
	err := v.Quota.Admit(ctx, quota.Admission{
		Namespace: c.Namespace,
		Subject:   fmt.Sprintf("Cluster %q", c.Name),
		VMs:       vms,
		DryRun:    true,
	})
	var exceeded *quota.ExceededError
	var notBound *quota.ClassNotBoundError
	if errors.As(err, &exceeded) || errors.As(err, &notBound) {
		return &RefusedError{Field: "spec.topology", Message: err.Error()}
	}
	return err
}
