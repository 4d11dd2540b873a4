package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/version"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	runv1 "github.com/kubevisor/kubevisor/api/run/v1alpha3"
)

// createFlags are the flags of `cluster create`.
type createFlags struct {
	file          string
	tkr           string
	vmClass       string
	storageClass  string
	controlPlane  int32
	workers       int32
	poolName      string
	workerVMClass string
	pods          []string
	services      []string
	wait          bool
	timeout       time.Duration
}

// specFlagNames are the flags that describe a cluster, which -f excludes.
var specFlagNames = []string{"tkr", "vm-class", "storage-class", "control-plane-count", "worker-count", "pool-name", "worker-vm-class", "pods", "services"}

func (f *createFlags) addFlags(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVarP(&f.file, "filename", "f", "", "Create (server-side apply) the objects in this YAML or JSON file instead (\"-\": standard input).")
	fs.StringVar(&f.tkr, "tkr", "", "The TanzuKubernetesRelease to run (default: the newest one that is Ready and Compatible; list them with: kubectl get tkr).")
	fs.StringVar(&f.vmClass, "vm-class", "", "The VM class of the nodes (required; list them with: kubectl get vmclass -n NAMESPACE).")
	fs.StringVar(&f.storageClass, "storage-class", "", "The storage class of the nodes' disks (required; list them with: kubectl get storageclass).")
	fs.Int32Var(&f.controlPlane, "control-plane-count", 1, "The number of control plane nodes (1 or 3).")
	fs.Int32Var(&f.workers, "worker-count", 1, "The number of worker nodes.")
	fs.StringVar(&f.poolName, "pool-name", "node-pool-1", "The name of the node pool of the workers.")
	fs.StringVar(&f.workerVMClass, "worker-vm-class", "", "The VM class of the workers (default: --vm-class).")
	fs.StringSliceVar(&f.pods, "pods", nil, "The CIDR blocks of the pod network (default: the Supervisor's choice).")
	fs.StringSliceVar(&f.services, "services", nil, "The CIDR blocks of the service network (default: the Supervisor's choice).")
	fs.BoolVar(&f.wait, "wait", false, "Wait until the cluster is ready, showing its progress.")
	fs.DurationVar(&f.timeout, "timeout", 30*time.Minute, "How long --wait waits.")
}

// check refuses flags that make no cluster, naming the flag and how to
// find a good value. ns is the namespace, for the hints.
func (f *createFlags) check(ns string) error {
	var errs []error
	if f.vmClass == "" {
		errs = append(errs, fmt.Errorf("--vm-class is required: list the VM classes namespace %s may use with `kubectl get vmclass -n %s`", ns, ns))
	}
	if f.storageClass == "" {
		errs = append(errs, fmt.Errorf("--storage-class is required: list the storage classes with `kubectl get storageclass` (those namespace %s may use are in `kubevisor namespace get %s`)", ns, ns))
	}
	if f.controlPlane < 1 {
		errs = append(errs, fmt.Errorf("--control-plane-count %d: a cluster needs 1 or 3 control plane nodes", f.controlPlane))
	}
	if f.workers < 0 {
		errs = append(errs, fmt.Errorf("--worker-count %d: must not be negative", f.workers))
	}
	if f.poolName == "" {
		errs = append(errs, errors.New("--pool-name must not be empty"))
	}
	for _, c := range []struct {
		flag   string
		values []string
	}{{"pods", f.pods}, {"services", f.services}} {
		for _, v := range c.values {
			if _, _, err := net.ParseCIDR(v); err != nil {
				errs = append(errs, fmt.Errorf("--%s %q: not a CIDR block such as 192.168.0.0/16", c.flag, v))
			}
		}
	}
	return errors.Join(errs...)
}

// build returns the TanzuKubernetesCluster the flags describe, running
// release tkr.
func (f *createFlags) build(ns, name, tkr string) *runv1.TanzuKubernetesCluster {
	ref := func() runv1.TKRReference {
		return runv1.TKRReference{Reference: &corev1.ObjectReference{Name: tkr}}
	}
	workerClass := f.workerVMClass
	if workerClass == "" {
		workerClass = f.vmClass
	}
	tkc := &runv1.TanzuKubernetesCluster{
		TypeMeta:   metav1.TypeMeta{APIVersion: runv1.GroupVersion.String(), Kind: "TanzuKubernetesCluster"},
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: runv1.TanzuKubernetesClusterSpec{
			Topology: runv1.Topology{
				ControlPlane: runv1.ControlPlane{
					Replicas: ptr.To(f.controlPlane),
					TopologySettings: runv1.TopologySettings{
						VMClass: f.vmClass, StorageClass: f.storageClass, TKR: ref(),
					},
				},
				NodePools: []runv1.NodePool{{
					Name:     f.poolName,
					Replicas: ptr.To(f.workers),
					TopologySettings: runv1.TopologySettings{
						VMClass: workerClass, StorageClass: f.storageClass, TKR: ref(),
					},
				}},
			},
		},
	}
	if len(f.pods) > 0 || len(f.services) > 0 {
		network := &runv1.Network{}
		if len(f.pods) > 0 {
			network.Pods = &runv1.NetworkRanges{CIDRBlocks: f.pods}
		}
		if len(f.services) > 0 {
			network.Services = &runv1.NetworkRanges{CIDRBlocks: f.services}
		}
		tkc.Spec.Settings = &runv1.Settings{Network: network}
	}
	return tkc
}

func newCreateCommand(e *env) *cobra.Command {
	var f createFlags
	cmd := &cobra.Command{
		Use:   "create NAME | create -f FILE",
		Short: "Create a workload cluster",
		Long: `Create a workload cluster (a TanzuKubernetesCluster) with one control plane
and one node pool described by the flags, or create what a YAML or JSON file
holds with -f (server-side apply, so applying the file again updates it).

Without --tkr the newest TanzuKubernetesRelease that is Ready and Compatible
is used. With --wait the command follows the cluster until it is ready.`,
		Example: `  kubevisor cluster create demo -n team-a --vm-class best-effort-small --storage-class local --worker-count 2 --wait
  kubevisor cluster create -f demo.yaml -n team-a --wait`,
		RunE: func(cmd *cobra.Command, args []string) error {
			ns := e.ns()
			if f.file != "" {
				if len(args) != 0 {
					return fmt.Errorf("create -f takes no NAME: the names are in %s", f.file)
				}
				for _, n := range specFlagNames {
					if cmd.Flags().Changed(n) {
						return fmt.Errorf("--%s cannot be combined with -f: put it in %s", n, f.file)
					}
				}
				return e.createFromFile(cmd, ns, &f)
			}
			if len(args) != 1 {
				return fmt.Errorf("%s takes exactly one cluster NAME (or -f FILE), got %d arguments", cmd.CommandPath(), len(args))
			}
			if err := f.check(ns); err != nil {
				return err
			}
			return e.createFromFlags(cmd, ns, args[0], &f)
		},
	}
	f.addFlags(cmd)
	return cmd
}

func (e *env) createFromFlags(cmd *cobra.Command, ns, name string, f *createFlags) error {
	ctx, out := cmd.Context(), cmd.OutOrStdout()
	c, err := e.getClient()
	if err != nil {
		return err
	}
	tkr := f.tkr
	if tkr == "" {
		if tkr, err = newestTKR(ctx, c); err != nil {
			return err
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "using TKR %s, the newest that is ready and compatible (choose one with --tkr)\n", tkr)
	}
	tkc := f.build(ns, name, tkr)
	if err := c.Create(ctx, tkc); err != nil {
		if apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("cluster %s already exists in namespace %s: see it with `kubevisor cluster get %s -n %s`", name, ns, name, ns)
		}
		return fmt.Errorf("creating cluster %s in namespace %s: %w", name, ns, err)
	}
	fmt.Fprintf(out, "cluster %s created in namespace %s\n", name, ns)
	if !f.wait {
		return nil
	}
	return e.waitReady(ctx, c, out, ns, name, f.timeout)
}

// createFromFile applies the objects of f.file, in namespace ns unless
// they name theirs, then waits for the clusters among them.
func (e *env) createFromFile(cmd *cobra.Command, ns string, f *createFlags) error {
	ctx, out := cmd.Context(), cmd.OutOrStdout()
	var (
		data []byte
		err  error
	)
	if f.file == "-" {
		data, err = io.ReadAll(cmd.InOrStdin())
	} else {
		data, err = os.ReadFile(f.file)
	}
	if err != nil {
		return fmt.Errorf("-f %s: %w", f.file, err)
	}
	objs, err := decodeObjects(data)
	if err != nil {
		return fmt.Errorf("-f %s: %w", f.file, err)
	}
	if len(objs) == 0 {
		return fmt.Errorf("-f %s: no objects in the file", f.file)
	}
	c, err := e.getClient()
	if err != nil {
		return err
	}
	var clusters []client.ObjectKey
	for _, u := range objs {
		namespaced, err := c.IsObjectNamespaced(u)
		if err != nil {
			return fmt.Errorf("-f %s: %s %s: %w", f.file, u.GetKind(), u.GetName(), err)
		}
		if namespaced && u.GetNamespace() == "" {
			u.SetNamespace(ns)
		}
		what := strings.TrimPrefix(u.GetNamespace()+"/", "/") + u.GetName()
		if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(fieldManager), client.ForceOwnership); err != nil {
			return fmt.Errorf("applying %s %s: %w", u.GetKind(), what, err)
		}
		fmt.Fprintf(out, "%s %s applied\n", u.GetKind(), what)
		if u.GroupVersionKind().GroupKind() == runv1.GroupVersion.WithKind("TanzuKubernetesCluster").GroupKind() {
			clusters = append(clusters, client.ObjectKeyFromObject(u))
		}
	}
	if !f.wait {
		return nil
	}
	for _, k := range clusters {
		if err := e.waitReady(ctx, c, out, k.Namespace, k.Name, f.timeout); err != nil {
			return err
		}
	}
	return nil
}

// decodeObjects reads the YAML documents or JSON objects of data.
func decodeObjects(data []byte) ([]*unstructured.Unstructured, error) {
	var objs []*unstructured.Unstructured
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for i := 1; ; i++ {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return objs, nil
			}
			return nil, fmt.Errorf("object %d: %w", i, err)
		}
		if len(u.Object) == 0 {
			continue
		}
		switch {
		case u.GetAPIVersion() == "" || u.GetKind() == "":
			return nil, fmt.Errorf("object %d: apiVersion and kind are required", i)
		case u.GetName() == "":
			return nil, fmt.Errorf("object %d (%s): metadata.name is required", i, u.GetKind())
		}
		objs = append(objs, u)
	}
}

// newestTKR returns the name of the newest TanzuKubernetesRelease that is
// Ready and Compatible, or an error listing the releases there are.
func newestTKR(ctx context.Context, c client.Client) (string, error) {
	list := &runv1.TanzuKubernetesReleaseList{}
	if err := c.List(ctx, list); err != nil {
		return "", fmt.Errorf("listing TanzuKubernetesReleases to pick one (or pass --tkr): %w", err)
	}
	var usable []*runv1.TanzuKubernetesRelease
	var others []string
	for i := range list.Items {
		r := &list.Items[i]
		if why := unusable(r); why != "" {
			others = append(others, fmt.Sprintf("%s (%s)", r.Name, why))
			continue
		}
		usable = append(usable, r)
	}
	if len(usable) == 0 {
		if len(others) == 0 {
			return "", errors.New("no TanzuKubernetesReleases exist on this Supervisor: a content library with releases must be given to the namespace (see `kubectl get tkr`)")
		}
		sort.Strings(others)
		return "", fmt.Errorf("no TanzuKubernetesRelease is ready and compatible; there are: %s. Pass one with --tkr, or see `kubectl get tkr`", strings.Join(others, ", "))
	}
	sort.Slice(usable, func(i, j int) bool { return newer(usable[i], usable[j]) })
	return usable[0].Name, nil
}

// unusable says why release r cannot be picked, or "" when it can.
func unusable(r *runv1.TanzuKubernetesRelease) string {
	if _, ok := r.Labels[runv1.LabelDeactivated]; ok {
		return "deactivated"
	}
	var why []string
	for _, t := range []string{runv1.ReadyCondition, runv1.CompatibleCondition} {
		c := meta.FindStatusCondition(r.Status.Conditions, t)
		switch {
		case c == nil:
			why = append(why, t+" not reported")
		case c.Status != metav1.ConditionTrue:
			w := fmt.Sprintf("%s=%s", t, c.Status)
			if c.Reason != "" {
				w += " " + c.Reason
			}
			why = append(why, w)
		}
	}
	return strings.Join(why, ", ")
}

// newer reports whether release a is newer than b: by the semantic
// version of spec.version (build metadata such as +vmware.1-kubevisor.2
// compared piece by piece), then by name.
func newer(a, b *runv1.TanzuKubernetesRelease) bool {
	va, errA := version.ParseSemantic(versionOf(a))
	vb, errB := version.ParseSemantic(versionOf(b))
	switch {
	case errA == nil && errB != nil:
		return true
	case errA != nil && errB == nil:
		return false
	case errA == nil && errB == nil:
		if !va.EqualTo(vb) {
			return va.GreaterThan(vb)
		}
		if cmp := comparePieces(va.BuildMetadata(), vb.BuildMetadata()); cmp != 0 {
			return cmp > 0
		}
	}
	return a.Name > b.Name
}

// versionOf is the release's version: spec.version, else the name with
// "---" turned back into "+".
func versionOf(r *runv1.TanzuKubernetesRelease) string {
	if r.Spec.Version != "" {
		return r.Spec.Version
	}
	return strings.ReplaceAll(r.Name, "---", "+")
}

// comparePieces compares strings such as vmware.1-kubevisor.10 piece by
// piece, numbers as numbers.
func comparePieces(a, b string) int {
	split := func(s string) []string {
		return strings.FieldsFunc(s, func(r rune) bool { return r == '.' || r == '-' })
	}
	pa, pb := split(a), split(b)
	for i := 0; i < len(pa) && i < len(pb); i++ {
		na, errA := strconv.ParseUint(pa[i], 10, 64)
		nb, errB := strconv.ParseUint(pb[i], 10, 64)
		switch {
		case errA == nil && errB == nil && na != nb:
			if na > nb {
				return 1
			}
			return -1
		case (errA != nil || errB != nil) && pa[i] != pb[i]:
			return strings.Compare(pa[i], pb[i])
		}
	}
	return len(pa) - len(pb)
}
