package namespace

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/yaml"

	kubevisorv1alpha1 "github.com/kubevisor/kubevisor/api/kubevisor/v1alpha1"
)

func checkOutput(output string) error {
	switch output {
	case "", "yaml", "json":
		return nil
	}
	return fmt.Errorf("--output %q is not supported: use yaml or json, or leave it out for a summary", output)
}

// printObject prints obj (an object or a list) as yaml or json, with its
// apiVersion and kind, and without managed fields.
func printObject(w io.Writer, c client.Client, obj runtime.Object, output string) error {
	setKind := func(o runtime.Object) error {
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
	if list, ok := obj.(*kubevisorv1alpha1.SupervisorNamespaceList); ok {
		for i := range list.Items {
			if err := setKind(&list.Items[i]); err != nil {
				return err
			}
		}
	}
	if err := setKind(obj); err != nil {
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

// printTable prints one line per namespace.
func printTable(w io.Writer, items []kubevisorv1alpha1.SupervisorNamespace, now time.Time) error {
	if len(items) == 0 {
		_, err := fmt.Fprintln(w, "No namespaces. Create one with `kubevisor namespace create NAME`.")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	fmt.Fprintln(tw, "NAME\tREADY\tCPU\tMEMORY\tSTORAGE\tPERMISSIONS\tAGE")
	for i := range items {
		ns := &items[i]
		l, u := ns.Spec.Limits, ns.Status.Usage
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", ns.Name, readyStatus(ns),
			usageOf(u.CPU, l.CPU), usageOf(u.Memory, l.Memory), usageOf(u.Storage, l.Storage),
			len(ns.Spec.Permissions), age(ns.CreationTimestamp.Time, now))
	}
	return tw.Flush()
}

// describe prints a summary of ns for people to read.
func describe(w io.Writer, ns *kubevisorv1alpha1.SupervisorNamespace, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "Name:\t%s\n", ns.Name)
	k8sNamespace := ns.Status.Namespace
	if k8sNamespace == "" {
		k8sNamespace = "(not created yet)"
	}
	fmt.Fprintf(tw, "Kubernetes namespace:\t%s\n", k8sNamespace)
	fmt.Fprintf(tw, "Ready:\t%s\n", readyStatus(ns))
	fmt.Fprintf(tw, "Age:\t%s\n", age(ns.CreationTimestamp.Time, now))
	if ns.DeletionTimestamp != nil {
		fmt.Fprintf(tw, "Deleting since:\t%s\n", ns.DeletionTimestamp.UTC().Format(time.RFC3339))
	}

	fmt.Fprintln(tw, "\nPermissions:")
	if len(ns.Spec.Permissions) == 0 {
		fmt.Fprintln(tw, "  (none: only administrators can use this namespace)")
	} else {
		fmt.Fprintln(tw, "  ROLE\tSUBJECT")
		for _, p := range ns.Spec.Permissions {
			fmt.Fprintf(tw, "  %s\t%s\n", p.Role, formatSubject(p.Subject))
		}
	}

	fmt.Fprintln(tw, "\nLimits:")
	fmt.Fprintln(tw, "  RESOURCE\tLIMIT\tUSED")
	l, u := ns.Spec.Limits, ns.Status.Usage
	for _, r := range []struct {
		name         string
		limit, usage *resource.Quantity
	}{{"cpu", l.CPU, u.CPU}, {"memory", l.Memory, u.Memory}, {"storage", l.Storage, u.Storage}} {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", r.name, quantityOr(r.limit, "no limit"), quantityOr(r.usage, "0"))
	}

	fmt.Fprintln(tw, "\nStorage classes:")
	if len(ns.Spec.StorageClasses) == 0 {
		fmt.Fprintln(tw, "  (none)")
	} else {
		fmt.Fprintln(tw, "  NAME\tLIMIT")
		for _, sc := range ns.Spec.StorageClasses {
			fmt.Fprintf(tw, "  %s\t%s\n", sc.Name, quantityOr(sc.Limit, "the namespace's storage limit"))
		}
	}
	fmt.Fprintf(tw, "\nVM classes:\t%s\n", listOr(ns.Spec.VMClasses))
	fmt.Fprintf(tw, "Content libraries:\t%s\n", listOr(ns.Spec.ContentLibraries))

	fmt.Fprintln(tw, "\nConditions:")
	if len(ns.Status.Conditions) == 0 {
		fmt.Fprintln(tw, "  (none reported yet)")
	} else {
		fmt.Fprintln(tw, "  TYPE\tSTATUS\tREASON\tAGE\tMESSAGE")
		for _, c := range ns.Status.Conditions {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", c.Type, c.Status, c.Reason, age(c.LastTransitionTime.Time, now), c.Message)
		}
	}
	return tw.Flush()
}

func readyStatus(ns *kubevisorv1alpha1.SupervisorNamespace) string {
	if c := meta.FindStatusCondition(ns.Status.Conditions, kubevisorv1alpha1.ReadyCondition); c != nil {
		return string(c.Status)
	}
	return "Unknown"
}

// usageOf is "used/limit", or "used" when there is no limit.
func usageOf(used, limit *resource.Quantity) string {
	if limit == nil {
		return quantityOr(used, "0") + "/-"
	}
	return quantityOr(used, "0") + "/" + limit.String()
}

func quantityOr(q *resource.Quantity, otherwise string) string {
	if q == nil {
		return otherwise
	}
	return q.String()
}

func listOr(l []string) string {
	if len(l) == 0 {
		return "(none)"
	}
	return strings.Join(l, ", ")
}

func age(t, now time.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(now.Sub(t))
}
