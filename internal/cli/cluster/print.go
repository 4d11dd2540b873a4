package cluster

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/yaml"

	runv1 "github.com/kubevisor/kubevisor/api/run/v1alpha3"
)

func newGetCommand(e *env) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "get NAME",
		Short: "Show a workload cluster: phase, version, endpoint, node pools, conditions",
		Args:  exactlyName,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			c, err := e.getClient()
			if err != nil {
				return err
			}
			ns, name := e.ns(), args[0]
			tkc := &runv1.TanzuKubernetesCluster{}
			if err := c.Get(cmd.Context(), client.ObjectKey{Namespace: ns, Name: name}, tkc); err != nil {
				return explain("getting", ns, name, err)
			}
			if output == "" {
				return describe(cmd.OutOrStdout(), tkc, e.now())
			}
			return printObject(cmd.OutOrStdout(), c, tkc, output)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "Output format: yaml or json (default: a summary).")
	return cmd
}

func newListCommand(e *env) *cobra.Command {
	var (
		output        string
		allNamespaces bool
	)
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List workload clusters",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			c, err := e.getClient()
			if err != nil {
				return err
			}
			list := &runv1.TanzuKubernetesClusterList{}
			var opts []client.ListOption
			where := "all namespaces"
			if !allNamespaces {
				ns := e.ns()
				opts = append(opts, client.InNamespace(ns))
				where = "namespace " + ns
			}
			if err := c.List(cmd.Context(), list, opts...); err != nil {
				return fmt.Errorf("listing clusters in %s: %w", where, err)
			}
			if output != "" {
				for i := range list.Items {
					if err := setKind(c, &list.Items[i]); err != nil {
						return err
					}
				}
				return printObject(cmd.OutOrStdout(), c, list, output)
			}
			if len(list.Items) == 0 {
				_, err := fmt.Fprintf(cmd.OutOrStdout(), "No clusters in %s. Create one with `kubevisor cluster create NAME`.\n", where)
				return err
			}
			return printTable(cmd.OutOrStdout(), list.Items, allNamespaces, e.now())
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "Output format: yaml or json (default: a table).")
	cmd.Flags().BoolVarP(&allNamespaces, "all-namespaces", "A", false, "List the clusters of every namespace.")
	return cmd
}

func checkOutput(output string) error {
	switch output {
	case "", "yaml", "json":
		return nil
	}
	return fmt.Errorf("--output %q is not supported: use yaml or json, or leave it out for a summary", output)
}

// setKind sets the apiVersion and kind of o and drops its managed fields.
func setKind(c client.Client, o runtime.Object) error {
	gvk, err := apiutil.GVKForObject(o, c.Scheme())
	if err != nil {
		return err
	}
	o.GetObjectKind().SetGroupVersionKind(gvk)
	if m, err := meta.Accessor(o); err == nil {
		m.SetManagedFields(nil)
	}
	return nil
}

// printObject prints obj as yaml or json, with its apiVersion and kind,
// and without managed fields.
func printObject(w io.Writer, c client.Client, obj runtime.Object, output string) error {
	if err := setKind(c, obj); err != nil {
		return err
	}
	var (
		out []byte
		err error
	)
	if output == "json" {
		out, err = json.MarshalIndent(obj, "", "    ")
		out = append(out, '\n')
	} else {
		out, err = yaml.Marshal(obj)
	}
	if err != nil {
		return err
	}
	_, err = w.Write(out)
	return err
}

// printTable prints one line per cluster.
func printTable(w io.Writer, items []runv1.TanzuKubernetesCluster, withNamespace bool, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	header := "NAME\tPHASE\tREADY\tVERSION\tCONTROL PLANE\tWORKERS\tAGE"
	if withNamespace {
		header = "NAMESPACE\t" + header
	}
	fmt.Fprintln(tw, header)
	for i := range items {
		t := &items[i]
		if withNamespace {
			fmt.Fprintf(tw, "%s\t", t.Namespace)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.Name, orDash(string(t.Status.Phase)), readyStatus(t),
			orDash(versionOfCluster(t)), replicas(t.Spec.Topology.ControlPlane.Replicas), strconv.Itoa(int(workers(t))),
			age(t.CreationTimestamp.Time, now))
	}
	return tw.Flush()
}

// describe prints a summary of tkc for people to read.
func describe(w io.Writer, tkc *runv1.TanzuKubernetesCluster, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "Name:\t%s\n", tkc.Name)
	fmt.Fprintf(tw, "Namespace:\t%s\n", tkc.Namespace)
	fmt.Fprintf(tw, "Phase:\t%s\n", orDash(string(tkc.Status.Phase)))
	fmt.Fprintf(tw, "Ready:\t%s\n", readyStatus(tkc))
	fmt.Fprintf(tw, "Version:\t%s\n", orDash(tkc.Status.Version))
	cp := tkc.Spec.Topology.ControlPlane
	fmt.Fprintf(tw, "TKR:\t%s\n", orDash(tkrName(cp.TKR)))
	endpoint := "(not yet)"
	if eps := tkc.Status.APIEndpoints; len(eps) > 0 {
		var s []string
		for _, ep := range eps {
			s = append(s, fmt.Sprintf("https://%s:%d", ep.Host, ep.Port))
		}
		endpoint = strings.Join(s, ", ")
	}
	fmt.Fprintf(tw, "Control plane endpoint:\t%s\n", endpoint)
	fmt.Fprintf(tw, "Workers:\t%d desired, %d reported\n", workers(tkc), tkc.Status.TotalWorkerReplicas)
	fmt.Fprintf(tw, "Age:\t%s\n", age(tkc.CreationTimestamp.Time, now))
	if tkc.DeletionTimestamp != nil {
		fmt.Fprintf(tw, "Deleting since:\t%s\n", tkc.DeletionTimestamp.UTC().Format(time.RFC3339))
	}

	fmt.Fprintln(tw, "\nNodes:")
	fmt.Fprintln(tw, "  POOL\tREPLICAS\tVM CLASS\tSTORAGE CLASS\tTKR")
	fmt.Fprintf(tw, "  (control plane)\t%s\t%s\t%s\t%s\n", replicas(cp.Replicas), orDash(cp.VMClass), orDash(cp.StorageClass), orDash(tkrName(cp.TKR)))
	for _, p := range tkc.Spec.Topology.NodePools {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", p.Name, replicas(p.Replicas), orDash(p.VMClass), orDash(p.StorageClass), orDash(tkrName(p.TKR)))
	}

	fmt.Fprintln(tw, "\nConditions:")
	if len(tkc.Status.Conditions) == 0 {
		fmt.Fprintln(tw, "  (none reported yet)")
	} else {
		fmt.Fprintln(tw, "  TYPE\tSTATUS\tREASON\tAGE\tMESSAGE")
		for _, c := range tkc.Status.Conditions {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", c.Type, c.Status, orDash(c.Reason), age(c.LastTransitionTime.Time, now), oneLine(c.Message))
		}
	}
	if s := stateOf(tkc); !s.ready && !s.failed && s.blocking.Type != "" {
		fmt.Fprintf(tw, "\nWaiting for:\t%s\n", describeCondition(s.blocking))
	}
	return tw.Flush()
}

func readyStatus(tkc *runv1.TanzuKubernetesCluster) string {
	if c := meta.FindStatusCondition(tkc.Status.Conditions, runv1.ReadyCondition); c != nil {
		return string(c.Status)
	}
	return "Unknown"
}

// versionOfCluster is the version the cluster reports, else the release
// it asks for.
func versionOfCluster(tkc *runv1.TanzuKubernetesCluster) string {
	if tkc.Status.Version != "" {
		return tkc.Status.Version
	}
	return tkrName(tkc.Spec.Topology.ControlPlane.TKR)
}

func tkrName(r runv1.TKRReference) string {
	if r.Reference == nil {
		return ""
	}
	return r.Reference.Name
}

// workers is the number of workers the node pools ask for.
func workers(tkc *runv1.TanzuKubernetesCluster) int32 {
	var n int32
	for _, p := range tkc.Spec.Topology.NodePools {
		if p.Replicas != nil {
			n += *p.Replicas
		}
	}
	return n
}

func replicas(r *int32) string {
	if r == nil {
		return "-"
	}
	return strconv.Itoa(int(*r))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func age(t, now time.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(now.Sub(t))
}
