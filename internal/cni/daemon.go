package cni

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	listersv1 "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
)

// Version is the daemon's version; the image tag in config/addons follows it.
var Version = "v0.1.0"

// Options configure the daemon.
type Options struct {
	// NodeName is this node's Node (the pod's spec.nodeName).
	NodeName string
	// Kubeconfig is a kubeconfig file; empty means in-cluster.
	Kubeconfig string
	// ServerFrom is a kubeconfig (the kubelet's) whose server the daemon
	// talks to instead of the kubernetes Service, with its in-cluster
	// credentials: a connection to the Service made before kube-proxy
	// has programmed it hangs until it times out, and every pod of the
	// node waits for this daemon.
	ServerFrom string
	// ConfDir and ConfName place the CNI configuration.
	ConfDir, ConfName string
	// Bridge is the pods' bridge.
	Bridge string
	// Masquerade turns on the masquerade of traffic leaving the pod
	// networks (needs iptables and iptables-restore).
	Masquerade bool
	// Resync is how often everything is checked again without a Node
	// event.
	Resync time.Duration
	// ServiceWait bounds how long a node's first CNI configuration waits
	// for the kubernetes Service to answer from the node (0: no wait). A
	// pod that calls a Service before kube-proxy has programmed it keeps
	// a connection tracking entry without the translation, and its
	// connection hangs until it times out (30 s for CoreDNS's first list);
	// as the node takes no pods before it has a CNI configuration, waiting
	// here spares them that.
	ServiceWait time.Duration
}

// Main runs the kubevisor-cni command and returns its exit code.
func Main(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o Options
	fs.StringVar(&o.NodeName, "node-name", os.Getenv("NODE_NAME"), "this node's name (default $NODE_NAME)")
	fs.StringVar(&o.Kubeconfig, "kubeconfig", "", "kubeconfig file (default: in-cluster configuration)")
	fs.StringVar(&o.ServerFrom, "server-from-kubeconfig", "", "talk to the API server named by this kubeconfig (such as the kubelet's) rather than the kubernetes Service, with the in-cluster credentials")
	fs.StringVar(&o.ConfDir, "cni-conf-dir", DefaultConfDir, "CNI configuration directory")
	fs.StringVar(&o.ConfName, "cni-conf-name", DefaultConfName, "CNI configuration file name")
	fs.StringVar(&o.Bridge, "bridge", DefaultBridge, "pod bridge name")
	fs.BoolVar(&o.Masquerade, "masquerade", true, "masquerade pod traffic that leaves the pod networks")
	fs.DurationVar(&o.Resync, "resync", time.Minute, "period of a full check without Node events")
	fs.DurationVar(&o.ServiceWait, "wait-for-services", 60*time.Second, "how long a node's first CNI configuration waits for the kubernetes Service to answer (kube-proxy's rules); 0 does not wait")
	version := fs.Bool("version", false, "print the version and exit")
	klog.InitFlags(fs)
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if *version {
		fmt.Fprintln(stderr, Version)
		return 0
	}
	if err := Run(ctx, o); err != nil {
		klog.FromContext(ctx).Error(err, "kubevisor-cni stopped")
		return 1
	}
	return 0
}

// Run keeps the node's CNI configuration, routes and masquerade rules in
// line with the cluster's Nodes until ctx ends.
func Run(ctx context.Context, o Options) error {
	if o.NodeName == "" {
		return errors.New("no node name: set --node-name or NODE_NAME")
	}
	if o.ConfDir == "" {
		o.ConfDir = DefaultConfDir
	}
	if o.ConfName == "" {
		o.ConfName = DefaultConfName
	}
	if o.Bridge == "" {
		o.Bridge = DefaultBridge
	}
	if o.Resync <= 0 {
		o.Resync = time.Minute
	}
	cfg, err := restConfig(o)
	if err != nil {
		return err
	}
	cfg.UserAgent = "kubevisor-cni/" + Version
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	log := klog.FromContext(ctx).WithValues("node", o.NodeName)
	ctx = klog.NewContext(ctx, log)
	log.Info("starting", "version", Version, "server", cfg.Host, "confDir", o.ConfDir, "bridge", o.Bridge, "masquerade", o.Masquerade)

	factory := informers.NewSharedInformerFactory(client, 0)
	nodes := factory.Core().V1().Nodes()
	poke := make(chan struct{}, 1)
	notify := func(any) {
		select {
		case poke <- struct{}{}:
		default:
		}
	}
	if _, err := nodes.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    notify,
		UpdateFunc: func(_, obj any) { notify(obj) },
		DeleteFunc: notify,
	}); err != nil {
		return err
	}
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	if !cache.WaitForCacheSync(ctx.Done(), nodes.Informer().HasSynced) {
		return ctx.Err()
	}
	log.Info("watching Nodes")

	s := &syncer{o: o, nodes: nodes.Lister(), ipt: iptables{iptables: "iptables", restore: "iptables-restore"},
		service: serviceAddress()}
	ticker := time.NewTicker(o.Resync)
	defer ticker.Stop()
	for {
		force := false
		select {
		case <-ctx.Done():
			log.Info("stopping: the configuration, routes and rules stay")
			return nil
		case <-poke:
		case <-ticker.C:
			force = true
		}
		if err := s.sync(ctx, force); err != nil {
			log.Error(err, "sync failed; retrying")
			time.AfterFunc(2*time.Second, func() { notify(nil) })
		}
	}
}

func restConfig(o Options) (*rest.Config, error) {
	if o.Kubeconfig != "" {
		return clientcmd.BuildConfigFromFlags("", o.Kubeconfig)
	}
	cfg, err := rest.InClusterConfig()
	if err != nil {
		return nil, err
	}
	if o.ServerFrom != "" {
		server, err := serverOf(o.ServerFrom)
		if err != nil {
			return nil, err
		}
		cfg.Host = server
	}
	// Fail a connection attempt fast rather than after 30 s.
	cfg.Dial = (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	return cfg, nil
}

// serverOf is the server of a kubeconfig's current context.
func serverOf(kubeconfig string) (string, error) {
	kc, err := clientcmd.LoadFromFile(kubeconfig)
	if err != nil {
		return "", err
	}
	ctx, ok := kc.Contexts[kc.CurrentContext]
	if !ok {
		return "", fmt.Errorf("%s: no current context", kubeconfig)
	}
	cluster, ok := kc.Clusters[ctx.Cluster]
	if !ok || cluster.Server == "" {
		return "", fmt.Errorf("%s: context %s has no server", kubeconfig, kc.CurrentContext)
	}
	return cluster.Server, nil
}

// syncer brings the node in line with the Nodes it lists.
type syncer struct {
	o     Options
	nodes listersv1.NodeLister
	ipt   iptables
	// masq is the last masquerade input applied, so that an unchanged one
	// is applied again only on a forced sync.
	masq string
	// waiting is set while this node has no pod CIDR, to log it once.
	waiting bool
	// service is the kubernetes Service's address (host:port), or empty;
	// serviceChecked is set once it answered or the wait ran out.
	service        string
	serviceChecked bool
}

func (s *syncer) sync(ctx context.Context, force bool) error {
	log := klog.FromContext(ctx)
	self, err := s.nodes.Get(s.o.NodeName)
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("node %s does not exist", s.o.NodeName)
	}
	if err != nil {
		return err
	}
	me := nodeFrom(self)
	if !me.podCIDR.IsValid() {
		if !s.waiting {
			log.Info("waiting for the node's pod CIDR (kube-controller-manager allocates one when the cluster has networking.podSubnet)")
			s.waiting = true
		}
		return nil
	}
	s.waiting = false
	list, err := s.nodes.List(labels.Everything())
	if err != nil {
		return err
	}
	all := make([]node, 0, len(list))
	for _, n := range list {
		all = append(all, nodeFrom(n))
	}

	conf, err := Conflist(Network{PodCIDR: me.podCIDR, Bridge: s.o.Bridge, MTU: mtuOf(me.ip)})
	if err != nil {
		return err
	}
	if !s.serviceChecked {
		s.serviceChecked = true
		if _, err := os.Stat(filepath.Join(s.o.ConfDir, s.o.ConfName)); errors.Is(err, os.ErrNotExist) && s.service != "" && s.o.ServiceWait > 0 {
			start := time.Now()
			if waitForService(ctx, s.service, s.o.ServiceWait) {
				log.Info("the kubernetes Service answers from this node", "service", s.service, "waited", time.Since(start).Round(time.Millisecond).String())
			} else {
				log.Info("the kubernetes Service does not answer from this node; configuring the pod network anyway", "service", s.service, "waited", s.o.ServiceWait.String())
			}
		}
	}
	wrote, err := writeConfig(s.o.ConfDir, s.o.ConfName, conf)
	if err != nil {
		return fmt.Errorf("writing the CNI configuration: %w", err)
	}
	if wrote {
		log.Info("wrote the CNI configuration", "path", s.o.ConfDir+"/"+s.o.ConfName, "podCIDR", me.podCIDR)
	}

	if err := syncRoutes(ctx, wantedRoutes(me, all)); err != nil {
		return err
	}

	if s.o.Masquerade {
		pods := podCIDRs(all)
		rules := masqueradeRules(pods)
		if force || rules != s.masq {
			if err := s.ipt.ensureMasquerade(ctx, me.podCIDR, pods); err != nil {
				return fmt.Errorf("masquerade rules: %w", err)
			}
			if rules != s.masq {
				log.Info("masquerading pod traffic that leaves the pod networks", "podNetworks", fmt.Sprint(pods))
			}
			s.masq = rules
		}
	}
	return nil
}

// syncRoutes makes this network namespace's kubevisor-cni routes exactly
// want: it adds missing ones, replaces changed ones and deletes the rest.
func syncRoutes(ctx context.Context, want []route) error {
	log := klog.FromContext(ctx)
	have, err := listRoutes()
	if err != nil {
		return err
	}
	add, del := diffRoutes(have, want)
	var errs []error
	for _, r := range add {
		if err := replaceRoute(r); err != nil {
			// Most likely the node is not on this node's link: say so and
			// keep going with the others.
			errs = append(errs, err)
			continue
		}
		log.Info("route added", "route", r.String())
	}
	for _, r := range del {
		if err := deleteRoute(r); err != nil {
			errs = append(errs, err)
			continue
		}
		log.Info("stale route removed", "route", r.String())
	}
	return errors.Join(errs...)
}

// serviceAddress is the kubernetes Service's address from the pod's
// environment, or empty outside a pod.
func serviceAddress() string {
	host, port := os.Getenv("KUBERNETES_SERVICE_HOST"), os.Getenv("KUBERNETES_SERVICE_PORT")
	if host == "" || port == "" {
		return ""
	}
	return net.JoinHostPort(host, port)
}

// waitForService reports whether a TCP connection to addr succeeds within
// limit. Every attempt is a new connection (a new tracking entry), so an
// attempt made before the Service's rules existed does not spoil the next.
func waitForService(ctx context.Context, addr string, limit time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		attempt, stop := context.WithTimeout(ctx, 500*time.Millisecond)
		conn, err := (&net.Dialer{}).DialContext(attempt, "tcp", addr)
		stop()
		if err == nil {
			conn.Close()
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// mtuOf is the MTU of the interface that holds ip, or 0 when none does.
func mtuOf(ip netip.Addr) int {
	ifaces, err := net.Interfaces()
	if err != nil {
		return 0
	}
	for _, ifc := range ifaces {
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				if addr, ok := netip.AddrFromSlice(n.IP); ok && addr.Unmap() == ip {
					return ifc.MTU
				}
			}
		}
	}
	return 0
}
