package library

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	imgregv1 "github.com/kubevisor/kubevisor/api/imageregistry/v1alpha1"
	"github.com/kubevisor/kubevisor/internal/cli/kubeconfig"
	"github.com/kubevisor/kubevisor/internal/library"
)

// NewCommand returns `library` and its subcommands.
func NewCommand() *cobra.Command {
	var kc kubeconfig.Options
	cmd := &cobra.Command{
		Use:     "library",
		Aliases: []string{"libraries", "lib"},
		Short:   "Manage content libraries: image libraries of OVAs, local, published or subscribed",
		Long: `Manage cluster-wide content libraries (ClusterContentLibrary objects) and
their items. Each item is an OVA (an OVF template); every item of a library
becomes a ClusterVirtualMachineImage, and a VirtualMachineImage in every
vSphere Namespace the library is assigned to.

A local library takes uploads (kubevisor library upload). A published
library can be subscribed to by another Supervisor; a subscribed library
mirrors one, downloading items at once or, with --on-demand, when first used.

The Supervisor is found the way kubectl finds it: --kubeconfig, then
$KUBECONFIG, then ~/.kube/config.`,
		Args: cobra.NoArgs,
	}
	kc.AddFlags(cmd.PersistentFlags())
	cmd.AddCommand(
		newCreateCommand(&kc),
		newListCommand(&kc),
		newItemsCommand(&kc),
		newUploadCommand(&kc),
		newDeleteCommand(&kc),
	)
	return cmd
}

// createFlags are the flags of `library create`.
type createFlags struct {
	subscribe    string
	onDemand     bool
	caFile       string
	pollInterval time.Duration
	publish      bool
}

// library builds the ClusterContentLibrary the flags describe; changed
// says which flags were given.
func (f *createFlags) library(name string, changed func(string) bool, readFile func(string) ([]byte, error)) (*imgregv1.ClusterContentLibrary, error) {
	lib := &imgregv1.ClusterContentLibrary{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: imgregv1.ClusterContentLibrarySpec{BaseContentLibrarySpec: imgregv1.BaseContentLibrarySpec{
			UUID: library.NewUUID(),
		}},
	}
	if f.subscribe == "" {
		for _, flag := range []string{"on-demand", "ca-file", "poll-interval"} {
			if changed(flag) {
				return nil, fmt.Errorf("--%s needs --subscribe URL", flag)
			}
		}
	} else {
		if f.publish {
			return nil, errors.New("--publish and --subscribe exclude each other: a subscribed library cannot be published")
		}
		u, err := url.Parse(f.subscribe)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return nil, fmt.Errorf("--subscribe %q: want the https URL a publisher reports (status.publishInfo.URL, see `kubevisor library list` there)", f.subscribe)
		}
		sub := &imgregv1.ContentLibrarySubscription{URL: f.subscribe, OnDemand: f.onDemand}
		if changed("poll-interval") {
			if f.pollInterval < time.Minute {
				return nil, fmt.Errorf("--poll-interval %s: at least 1m", f.pollInterval)
			}
			sub.PollInterval = &metav1.Duration{Duration: f.pollInterval}
		}
		if f.caFile != "" {
			data, err := readFile(f.caFile)
			if err != nil {
				return nil, fmt.Errorf("--ca-file: %w", err)
			}
			if !strings.Contains(string(data), "-----BEGIN CERTIFICATE-----") {
				return nil, fmt.Errorf("--ca-file %s holds no PEM certificate", f.caFile)
			}
			sub.CABundle = data
		}
		lib.Spec.Subscription = sub
	}
	if f.publish {
		lib.Spec.Publication = &imgregv1.ContentLibraryPublication{Enabled: true}
	}
	return lib, nil
}

func newCreateCommand(kc *kubeconfig.Options) *cobra.Command {
	var f createFlags
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a content library: local, published, or subscribed to another one",
		Example: `  # A local library that takes uploads:
  kubevisor library create images
  # Published, so that other Supervisors can subscribe to it:
  kubevisor library create tkrs --publish
  # Subscribed to a published library, downloading items when first used:
  kubevisor library create tkrs-mirror --subscribe https://sv1.example:8443/library/v1/published/<uuid>/index.json \
      --ca-file sv1-ca.crt --on-demand`,
		Args: exactlyArgs(1, "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			lib, err := f.library(args[0], cmd.Flags().Changed, os.ReadFile)
			if err != nil {
				return err
			}
			c, err := kc.Client()
			if err != nil {
				return err
			}
			if err := c.Create(cmd.Context(), lib); err != nil {
				if apierrors.IsAlreadyExists(err) {
					return fmt.Errorf("library %s already exists: see it with `kubevisor library list`", lib.Name)
				}
				return fmt.Errorf("creating library %s: %w", lib.Name, err)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "library %s created (UUID %s)\n", lib.Name, lib.Spec.UUID)
			if f.publish {
				if u := waitPublished(cmd.Context(), c, lib.Name); u != "" {
					fmt.Fprintf(out, "published at %s\n", u)
				} else {
					fmt.Fprintf(out, "its published URL will show in `kubevisor library list`\n")
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&f.subscribe, "subscribe", "", "Mirror the library published at this https URL (a publisher's index URL).")
	cmd.Flags().BoolVar(&f.onDemand, "on-demand", false, "With --subscribe: download an item's files only when it is first used.")
	cmd.Flags().StringVar(&f.caFile, "ca-file", "", "With --subscribe: PEM file of the CA that signed the publisher's certificate (default: the system's roots).")
	cmd.Flags().DurationVar(&f.pollInterval, "poll-interval", time.Hour, "With --subscribe: how often the publisher is checked for changes (at least 1m).")
	cmd.Flags().BoolVar(&f.publish, "publish", false, "Publish the library, so that other Supervisors can subscribe to it.")
	return cmd
}

// waitPublished waits briefly for the library's published URL.
func waitPublished(ctx context.Context, c client.Client, name string) string {
	var u string
	_ = wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
		lib := &imgregv1.ClusterContentLibrary{}
		if err := c.Get(ctx, client.ObjectKey{Name: name}, lib); err != nil {
			return false, nil
		}
		if p := lib.Status.PublishInfo; p != nil && p.URL != "" {
			u = p.URL
			return true, nil
		}
		return false, nil
	})
	return u
}

func newListCommand(kc *kubeconfig.Options) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the cluster-wide content libraries",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := kc.Client()
			if err != nil {
				return err
			}
			var libs imgregv1.ClusterContentLibraryList
			if err := c.List(cmd.Context(), &libs); err != nil {
				return fmt.Errorf("listing libraries: %w", err)
			}
			var items imgregv1.ClusterContentLibraryItemList
			if err := c.List(cmd.Context(), &items); err != nil {
				return fmt.Errorf("listing library items: %w", err)
			}
			return printLibraries(cmd.OutOrStdout(), libs.Items, items.Items, time.Now())
		},
	}
}

func newItemsCommand(kc *kubeconfig.Options) *cobra.Command {
	var namespace string
	cmd := &cobra.Command{
		Use:   "items LIBRARY",
		Short: "List a library's items",
		Args:  exactlyArgs(1, "LIBRARY"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := kc.Client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			var lib client.Object = &imgregv1.ClusterContentLibrary{}
			if namespace != "" {
				lib = &imgregv1.ContentLibrary{}
			}
			if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: args[0]}, lib); err != nil {
				return explain("reading", args[0], namespace, err)
			}
			var rows []itemRow
			if namespace == "" {
				var items imgregv1.ClusterContentLibraryItemList
				if err := c.List(ctx, &items); err != nil {
					return fmt.Errorf("listing items: %w", err)
				}
				for i := range items.Items {
					if owns(lib, &items.Items[i]) {
						rows = append(rows, rowOf(&items.Items[i], &items.Items[i].Status))
					}
				}
			} else {
				var items imgregv1.ContentLibraryItemList
				if err := c.List(ctx, &items, client.InNamespace(namespace)); err != nil {
					return fmt.Errorf("listing items: %w", err)
				}
				for i := range items.Items {
					if owns(lib, &items.Items[i]) {
						rows = append(rows, rowOf(&items.Items[i], &items.Items[i].Status))
					}
				}
			}
			return printItems(cmd.OutOrStdout(), rows, time.Now())
		},
	}
	cmd.Flags().StringVarP(&namespace, "namespace", "n", "", "The namespace of a namespaced ContentLibrary (default: a cluster-wide library).")
	return cmd
}

func owns(lib, item client.Object) bool {
	for _, ref := range item.GetOwnerReferences() {
		if ref.UID == lib.GetUID() {
			return true
		}
	}
	return false
}

func newDeleteCommand(kc *kubeconfig.Options) *cobra.Command {
	var (
		waitForGone bool
		timeout     time.Duration
	)
	cmd := &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a content library with its items, their images and stored files",
		Args:  exactlyArgs(1, "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			c, err := kc.Client()
			if err != nil {
				return err
			}
			lib := &imgregv1.ClusterContentLibrary{ObjectMeta: metav1.ObjectMeta{Name: name}}
			if err := c.Delete(cmd.Context(), lib); err != nil {
				return explain("deleting", name, "", err)
			}
			if !waitForGone {
				fmt.Fprintf(cmd.OutOrStdout(), "library %s deleted\n", name)
				return nil
			}
			err = wait.PollUntilContextTimeout(cmd.Context(), 500*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
				err := c.Get(ctx, client.ObjectKey{Name: name}, &imgregv1.ClusterContentLibrary{})
				return apierrors.IsNotFound(err), nil
			})
			if err != nil {
				return fmt.Errorf("waiting for library %s to be deleted: %w (see its conditions with `kubectl get clustercontentlibrary %s -o yaml`)", name, err, name)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "library %s deleted\n", name)
			return nil
		},
	}
	cmd.Flags().BoolVar(&waitForGone, "wait", true, "Wait until the library, its items and their images are gone.")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Minute, "How long --wait waits.")
	return cmd
}

func newUploadCommand(kc *kubeconfig.Options) *cobra.Command {
	var (
		itemName  string
		namespace string
	)
	cmd := &cobra.Command{
		Use:   "upload LIBRARY FILE.ova",
		Short: "Upload an OVA into a local library, as a new item or a new version of one",
		Long: `Upload an OVA into a local library. The Supervisor verifies it (OVF
descriptor, manifest of SHA-256 sums, disks), stores it and creates the
library item, named after the file unless --name says otherwise. Uploading
again under the same name replaces the item's content (a new content
version); uploading the content it already has changes nothing.

The upload goes to the Supervisor's public HTTPS endpoint, read from the
ConfigMap kube-public/kubevisor-endpoints, with the kubeconfig's
credentials, which must allow creating clustercontentlibraryitems (or
contentlibraryitems in the namespace, with --namespace).`,
		Example: `  kubevisor library upload kubevisor-default bin/images/kubevisor-base.ova
  kubevisor library upload tkrs ubuntu-2204-kube-v1.36.3.ova --name v1.36.3`,
		Args: exactlyArgs(2, "LIBRARY and FILE.ova"),
		RunE: func(cmd *cobra.Command, args []string) error {
			libName, path := args[0], args[1]
			if itemName == "" {
				itemName = strings.TrimSuffix(filepath.Base(path), ".ova")
			}
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			defer f.Close()
			fi, err := f.Stat()
			if err != nil {
				return err
			}
			cfg, err := kc.RESTConfig()
			if err != nil {
				return err
			}
			c, err := kc.Client()
			if err != nil {
				return err
			}
			endpoint, err := library.PublicEndpoint(cmd.Context(), c)
			if err != nil {
				return err
			}
			res, err := upload(cmd.Context(), cfg, UploadRequest{
				Endpoint: endpoint, Library: libName, Namespace: namespace, Item: itemName,
				Body: f, Size: fi.Size(), Progress: cmd.ErrOrStderr(),
			})
			if err != nil {
				return err
			}
			verb := "uploaded"
			if !res.Changed {
				verb = "unchanged (the item already has this content)"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "item %s %s: library %s, %s %s, content version %s, sha256 %s\n",
				res.ItemName, verb, res.Library, res.Kind, res.Name, res.ContentVersion, res.SHA256)
			return nil
		},
	}
	cmd.Flags().StringVar(&itemName, "name", "", "The item's name (default: the file name without .ova).")
	cmd.Flags().StringVarP(&namespace, "namespace", "n", "", "The namespace of a namespaced ContentLibrary (default: a cluster-wide library).")
	return cmd
}

// UploadRequest is one upload.
type UploadRequest struct {
	// Endpoint is the Supervisor's public HTTPS endpoint.
	Endpoint string
	// Library, Namespace ("" for a cluster-wide library) and Item name
	// the target.
	Library, Namespace, Item string
	// Body is the OVA, of Size bytes.
	Body io.Reader
	Size int64
	// Progress receives progress lines for large uploads; nil for none.
	Progress io.Writer
}

// upload sends an OVA with the credentials and CA of cfg.
func upload(ctx context.Context, cfg *rest.Config, r UploadRequest) (*library.UploadResult, error) {
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, err
	}
	q := url.Values{"name": {r.Item}}
	if r.Namespace != "" {
		q.Set("namespace", r.Namespace)
	}
	u := strings.TrimSuffix(r.Endpoint, "/") + library.LibrariesPath + url.PathEscape(r.Library) + "/items?" + q.Encode()
	body := &progressReader{r: r.Body, total: r.Size, out: r.Progress, last: time.Now()}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, body)
	if err != nil {
		return nil, err
	}
	req.ContentLength = r.Size
	req.Header.Set("Content-Type", "application/x-tar")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("uploading to %s: %w", r.Endpoint, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("reading the Supervisor's answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		var e library.ErrorBody
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			return nil, fmt.Errorf("upload refused (%s, %s): %s", resp.Status, e.Reason, e.Error)
		}
		return nil, fmt.Errorf("upload refused: %s: %s", resp.Status, strings.TrimSpace(string(data)))
	}
	res := &library.UploadResult{}
	if err := json.Unmarshal(data, res); err != nil {
		return nil, fmt.Errorf("reading the Supervisor's answer: %w", err)
	}
	return res, nil
}

// progressReader reports progress every few seconds.
type progressReader struct {
	r     io.Reader
	total int64
	n     int64
	out   io.Writer
	last  time.Time
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n += int64(n)
	if p.out != nil && time.Since(p.last) > 3*time.Second && p.total > 0 {
		p.last = time.Now()
		fmt.Fprintf(p.out, "uploaded %d of %d MiB (%d%%)\n", p.n>>20, p.total>>20, p.n*100/p.total)
	}
	return n, err
}

func exactlyArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return fmt.Errorf("%s takes %s, got %d arguments", cmd.CommandPath(), what, len(args))
		}
		return nil
	}
}

// explain wraps the error of action on library name, saying what to do
// when it does not exist.
func explain(action, name, namespace string, err error) error {
	if apierrors.IsNotFound(err) {
		if namespace != "" {
			return fmt.Errorf("library %s not found in namespace %s", name, namespace)
		}
		return fmt.Errorf("library %s not found: list them with `kubevisor library list`", name)
	}
	return fmt.Errorf("%s library %s: %w", action, name, err)
}
