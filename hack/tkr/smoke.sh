#!/usr/bin/env bash
# Smoke test of a built TKR node image, by hand, as root, without the VM
# provider: it boots the image's root file system the way a local VM does
# (kubevisor-guest boot: overlay root, own mount/PID/UTS/IPC namespaces, a
# network namespace, cgroups of its own) and checks that the preloaded
# images are in containerd and are what kubeadm asks for. With INIT=1 it
# runs kubeadm init in it, applies the kubevisor-cni add-on
# (config/addons/kubevisor-cni.yaml), waits for a Ready node with every
# kube-system pod ready, and resolves a Service name through CoreDNS and
# kube-proxy; with NODES=2 as well, a second VM joins as a worker.
#
# hack/tkr/cluster does the whole story through the local VM provider
# instead (cloud-init bootstrap as Cluster API writes it, providerIDs, a
# Deployment behind a Service across nodes): prefer it; this script is the
# quick look at an image without the provider.
#
#   hack/tkr/smoke.sh [build/tkr/v1.36.3]                 # images only
#   INIT=1 hack/tkr/smoke.sh [build/tkr/v1.36.3]          # + kubeadm init
#   INIT=1 NODES=2 hack/tkr/smoke.sh [build/tkr/v1.36.3]  # + kubeadm join
#   KEEP=1 ...                                            # leave the VMs running
#
# Needs: root, the release built by hack/tkr/build.sh, Go (to build the
# guest agent). Uses only its own namespaces: kvtkr-smoke-net holds a
# bridge (198.19.255.1/24) that the VMs kvtkr-smoke-<n> (198.19.255.<n+1>)
# are plugged into; their cgroups are /kvtkr-smoke-<n> in every hierarchy;
# files go to $WORK (/var/tmp/kvtkr-smoke).
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
out=$(cd "${1:-$repo/build/tkr/v1.36.3}" && pwd)
prefix=kvtkr-smoke
work=${WORK:-/var/tmp/$prefix}
nodes=${NODES:-1}
release_json=$(tar -xzOf "$out/rootfs.tar.gz" etc/kubevisor/release.json)
field() { printf '%s' "$release_json" | sed -n "s/^  \"$1\": \"\\(.*\\)\",\$/\\1/p"; }
k8s=$(field kubernetes)
repository=$(field imageRepository)

since() { awk -v s="$1" -v n="$(date +%s.%N)" 'BEGIN { printf "%.1f", n - s }'; }
log() { printf '%s smoke: %s\n' "$(date +%T)" "$*" >&2; }
fail() { log "FAIL: $*"; exit 1; }
[ "$(id -u)" -eq 0 ] || fail "run me as root"

declare -A vm_pid
cleanup() {
	if [ -n "${KEEP:-}" ]; then
		for n in "${!vm_pid[@]}"; do log "KEEP: VM $n runs as pid ${vm_pid[$n]}; enter it with: nsenter -t ${vm_pid[$n]} -a"; done
		return
	fi
	for n in "${!vm_pid[@]}"; do kill -TERM "${vm_pid[$n]}" 2>/dev/null || true; done
	for n in "${!vm_pid[@]}"; do
		for _ in $(seq 100); do kill -0 "${vm_pid[$n]}" 2>/dev/null || break; sleep 0.2; done
		kill -KILL "${vm_pid[$n]}" 2>/dev/null || true
	done
	for h in /sys/fs/cgroup/*/; do
		for c in "$h$prefix"-*; do
			[ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} + 2>/dev/null || true
		done
	done
	for ns in $(ip netns list | awk -v p="$prefix" 'index($1, p) == 1 { print $1 }'); do ip netns del "$ns"; done
	rm -rf "$work"/vm-*
}
trap cleanup EXIT
KEEP="" cleanup # a stale run

log "root file system: $out/rootfs.tar.gz"
mkdir -p "$work"
if [ ! -e "$work/lower/.complete" ] || [ "$out/rootfs.tar.gz" -nt "$work/lower/.complete" ]; then
	rm -rf "$work/lower"
	mkdir -p "$work/lower"
	start=$(date +%s.%N)
	tar -xzf "$out/rootfs.tar.gz" -C "$work/lower" --numeric-owner
	touch "$work/lower/.complete"
	log "extracted in $(since "$start") s ($(du -sh "$work/lower" | cut -f1))"
fi
log "guest agent"
(cd "$repo" && CGO_ENABLED=0 go build -trimpath -o "$work/kubevisor-guest" ./cmd/kubevisor-guest)

net=$prefix-net
ip netns add "$net"
ip -n "$net" link add br0 type bridge
ip -n "$net" addr add 198.19.255.1/24 dev br0
ip -n "$net" link set br0 up
ip -n "$net" link set lo up

# boot_vm N: the VM kvtkr-smoke-N at 198.19.255.(N+1).
boot_vm() {
	local n=$1 name=$prefix-$1 ip=198.19.255.$(($1 + 1)) dir=$work/vm-$1 h procs=() mounts=()
	mkdir -p "$dir/upper" "$dir/work" "$dir/root"
	for d in containerd kubelet etcd log; do mkdir -p "$dir/scratch/$d"; done
	ip netns add "$name"
	ip link add "$name" netns "$net" type veth peer name eth0 netns "$name"
	ip -n "$net" link set "$name" master br0 up
	ip -n "$name" addr add "$ip/24" dev eth0
	ip -n "$name" link set lo up
	ip -n "$name" link set eth0 up
	ip -n "$name" route add default via 198.19.255.1
	for h in /sys/fs/cgroup/*/; do
		h=${h%/}
		mountpoint -q "$h" || continue
		mounts+=("\"$h\"")
		[ "$(basename "$h")" = unified ] && continue
		mkdir -p "$h/$name"
		if [ -e "$h/cpuset.cpus" ]; then
			cat "$h/cpuset.cpus" >"$h/$name/cpuset.cpus"
			cat "$h/cpuset.mems" >"$h/$name/cpuset.mems"
		fi
		procs+=("\"$h/$name/cgroup.procs\"")
	done
	local IFS=,
	cat >"$dir/boot.json" <<JSON
{
  "id": "$name",
  "hostname": "$name",
  "root": "$dir/root",
  "lower": ["$work/lower"],
  "upper": "$dir/upper",
  "work": "$dir/work",
  "cgroupProcs": [${procs[*]}],
  "cgroupMounts": [${mounts[*]}],
  "mounts": [
    {"source": "$work/kubevisor-guest", "target": "/.kubevisor/guest", "readOnly": true},
    {"source": "$dir/scratch/containerd", "target": "/var/lib/containerd"},
    {"source": "$dir/scratch/kubelet", "target": "/var/lib/kubelet"},
    {"source": "$dir/scratch/etcd", "target": "/var/lib/etcd"},
    {"source": "$dir/scratch/log", "target": "/var/log"}
  ]
}
JSON
	unset IFS
	nsenter --net="/run/netns/$name" unshare --mount --uts --ipc --pid --fork --kill-child \
		"$work/kubevisor-guest" boot "$dir/boot.json" >"$dir/console.log" 2>&1 &
	local parent=$! pid=""
	for _ in $(seq 50); do
		pid=$(pgrep -P "$parent" || true)
		[ -n "$pid" ] && break
		sleep 0.1
	done
	[ -n "$pid" ] || fail "VM $n did not start: $(cat "$dir/console.log")"
	vm_pid[$n]=$pid
}
in_vm() { local n=$1; shift; nsenter -t "${vm_pid[$n]}" -m -u -i -n -p -r -w "$@"; }
k() { in_vm 1 kubectl --kubeconfig /etc/kubernetes/admin.conf "$@"; }

# wait_node_images N: the kubelet's precondition.
wait_node_images() {
	for _ in $(seq 1200); do
		in_vm "$1" test -e /run/kubevisor/images-preloaded 2>/dev/null && return
		kill -0 "${vm_pid[$1]}" 2>/dev/null || fail "VM $1 stopped: $(cat "$work/vm-$1/console.log")"
		sleep 0.1
	done
	fail "VM $1: images not preloaded after 120 s: $(in_vm "$1" cat /var/log/kubevisor/kubevisor-preload-images.log)"
}

# images N: the images containerd of VM N has.
images() { in_vm "$1" ctr -n k8s.io images ls -q | grep -v '^sha256:' | sort; }

check_images() {
	local listed want missing
	listed=$(images 1)
	printf '%s\n' "$listed" | sed 's/^/  /' >&2
	want=$(in_vm 1 kubeadm config images list --image-repository "$repository" --kubernetes-version "$k8s" 2>/dev/null | sort)
	missing=$(comm -23 <(printf '%s\n' "$want") <(printf '%s\n' "$listed"))
	[ -z "$missing" ] || fail "kubeadm wants images containerd does not have: $missing"
	log "OK: containerd has all $(printf '%s\n' "$want" | wc -l) images kubeadm $k8s asks for under $repository"
	log "containerd's store: $(in_vm 1 du -sh /var/lib/containerd | cut -f1)"
}

# configure N: what the VM provider's cloud-init would write: /etc/hosts
# and a nameserver. The CNI configuration comes from kubevisor-cni.
configure() {
	local n=$1
	in_vm "$n" sh -c "printf '127.0.0.1 localhost\n198.19.255.$((n + 1)) $prefix-$n\n' >/etc/hosts; printf 'nameserver 198.19.255.1\n' >/etc/resolv.conf"
}

# wait_ready NODE: wait for the Node to be Ready.
wait_ready() {
	for _ in $(seq 600); do
		k get node "$1" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null | grep -q True && return
		sleep 0.2
	done
	fail "node $1 is not Ready"
}

log "booting VM 1"
boot_start=$(date +%s.%N)
boot_vm 1
wait_node_images 1
log "node images (pause, kube-proxy, CoreDNS) ready in containerd, which serves the CRI, $(since "$boot_start") s after boot"

if [ -z "${INIT:-}" ]; then
	cp_start=$(date +%s.%N)
	in_vm 1 /usr/lib/kubevisor/preload-images control-plane >/dev/null
	log "control-plane images ready in $(since "$cp_start") s (kubeadm init and control-plane joins check this; a release image carries them in its containerd store)"
	check_images
	exit 0
fi

log "kubeadm init"
configure 1
in_vm 1 sh -c 'cat >/root/kubeadm.yaml' <<YAML
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: 198.19.255.2
nodeRegistration:
  name: $prefix-1
  imagePullPolicy: Never
  ignorePreflightErrors: [SystemVerification]
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: $k8s
imageRepository: $repository
networking:
  podSubnet: 100.96.0.0/11
  serviceSubnet: 100.64.0.0/13
---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: cgroupfs
failCgroupV1: false
---
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
conntrack:
  maxPerCore: 0
YAML
init_start=$(date +%s.%N)
if ! in_vm 1 kubeadm init --config /root/kubeadm.yaml >"$work/vm-1/kubeadm-init.log" 2>&1; then
	tail -30 "$work/vm-1/kubeadm-init.log" >&2
	fail "kubeadm init failed"
fi
log "kubeadm init took $(since "$init_start") s; archives it had to import first: $(grep -c 'preload-images: imported' "$work/vm-1/kubeadm-init.log") (0 when the image carries containerd's store)"
check_images
k apply -f - <"$repo/config/addons/kubevisor-cni.yaml" >/dev/null
log "applied the kubevisor-cni add-on"
wait_ready "$prefix-1"
log "node Ready $(since "$init_start") s after kubeadm init started"
k taint node "$prefix-1" node-role.kubernetes.io/control-plane- >/dev/null

if [ "$nodes" -ge 2 ]; then
	log "booting VM 2"
	boot_start=$(date +%s.%N)
	boot_vm 2
	configure 2
	join=$(in_vm 1 kubeadm token create --print-join-command)
	# As Cluster API's bootstrap runs it: a JoinConfiguration file.
	token=$(printf '%s\n' "$join" | sed -n 's/.*--token \([^ ]*\).*/\1/p')
	cahash=$(printf '%s\n' "$join" | sed -n 's/.*--discovery-token-ca-cert-hash \([^ ]*\).*/\1/p')
	in_vm 2 sh -c 'cat >/root/join.yaml' <<YAML
apiVersion: kubeadm.k8s.io/v1beta4
kind: JoinConfiguration
discovery:
  bootstrapToken:
    apiServerEndpoint: 198.19.255.2:6443
    token: $token
    caCertHashes: [$cahash]
nodeRegistration:
  name: $prefix-2
  imagePullPolicy: Never
  ignorePreflightErrors: [SystemVerification]
YAML
	join_start=$(date +%s.%N)
	if ! in_vm 2 kubeadm join --config /root/join.yaml >"$work/vm-2/kubeadm-join.log" 2>&1; then
		tail -30 "$work/vm-2/kubeadm-join.log" >&2
		fail "kubeadm join failed"
	fi
	log "kubeadm join took $(since "$join_start") s ($(since "$boot_start") s after boot)"
	wait_ready "$prefix-2"
	log "node 2 Ready $(since "$boot_start") s after it booted"
	worker_images=$(images 2 | sed 's#.*/##; s#:.*##' | sort -u | tr '\n' ' ')
	[ "$worker_images" = "coredns httpecho kube-proxy kubevisor-cni pause " ] ||
		fail "the worker has images $worker_images, want coredns, httpecho, kube-proxy, kubevisor-cni, pause"
	log "OK: the worker imported only the node images ($(in_vm 2 du -sh /var/lib/containerd | cut -f1))"
fi

notready=unknown
for _ in $(seq 600); do
	pods=$(k get pods -n kube-system --no-headers 2>/dev/null || true)
	notready=$(printf '%s\n' "$pods" | awk '$3 != "Running" { n++ } split($2, r, "/") && r[1] != r[2] { n++ } END { print n + 0 }')
	proxies=$(printf '%s\n' "$pods" | grep -c '^kube-proxy-' || true)
	cnis=$(printf '%s\n' "$pods" | grep -c '^kubevisor-cni-' || true)
	if [ "$notready" -eq 0 ] && [ "$proxies" -eq "$nodes" ] && [ "$cnis" -eq "$nodes" ] && printf '%s\n' "$pods" | grep -q '^coredns-'; then
		break
	fi
	sleep 0.5
done
k get nodes -o wide >&2
k get pods -n kube-system -o wide >&2
[ "$notready" = 0 ] || fail "some kube-system pods are not running and ready"
log "all kube-system pods ready $(since "$init_start") s after kubeadm init started"
in_vm 1 sh -c 'cp /etc/resolv.conf /tmp/resolv.conf; echo "nameserver 100.64.0.10" >/etc/resolv.conf; getent ahostsv4 kubernetes.default.svc.cluster.local; cp /tmp/resolv.conf /etc/resolv.conf' | head -1 | grep -q '^100.64.0.1 ' ||
	fail "kubernetes.default.svc.cluster.local does not resolve through the kube-dns Service"
log "CoreDNS answers through its ClusterIP (kube-proxy's rules work)"
log "OK: $nodes node(s) Ready, all kube-system pods running"
