#!/usr/bin/env bash
# The local single-node Kubernetes cluster of the end-to-end suite.
#
#   cluster.sh up       build what is missing, start what is not running, wait until the node
#                       is Ready and cluster DNS answers; the last line printed is KUBECONFIG=...
#   cluster.sh status   what runs, and whether the node is Ready
#   cluster.sh down     stop everything and remove all that "up" created on this machine
#
# Traffic never leaves the machine: pods sit on a bridge with no masquerading, forwarding from
# the bridge to any other interface is dropped, and the service range is routed into a veth
# whose peer stays down, so a packet that no rule rewrites dies here.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
source "$TPX_CLUSTER_SRC/pki.sh"

PIDS="$TPX_RUN/pids"
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler containerd kubelet kube-proxy)
SYSCTLS=(net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables
  net.ipv4.conf.all.route_localnet vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops
  kernel.keys.root_maxkeys kernel.keys.root_maxbytes)
# Paths outside $TPX_RUN that kubelet or containerd create when missing; removed by "down"
# only if "up" found them missing. Whatever --root-dir says, kubelet puts its device-plugin
# socket in /var/lib/kubelet/device-plugins, and containerd 1.6 keeps CNI results in /var/lib/cni.
OUTSIDE_PATHS=(/var/log/pods /var/log/containers /run/containerd /var/run/netns /etc/cni /opt/cni
  /var/lib/kubelet /var/lib/cni)

kubectl_admin() { kubectl --kubeconfig "$TPX_KUBECONFIG" "$@"; }

running() {
  local pid
  pid="$(cat "$PIDS/$1.pid" 2>/dev/null)" || return 1
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && grep -qa "$1" "/proc/$pid/cmdline"
}

any_running() {
  local name
  for name in "${COMPONENTS[@]}"; do running "$name" && return 0; done
  return 1
}

# start NAME ARGS...: start the component NAME in its own session, logging to logs/NAME.log.
start() {
  local name="$1"; shift
  if running "$name"; then return; fi
  log "starting $name"
  setsid "$@" >> "$TPX_LOGS/$name.log" 2>&1 < /dev/null &
  echo $! > "$PIDS/$name.pid"
}

# wait_until SECONDS WHAT COMMAND...: retry COMMAND until it succeeds.
wait_until() {
  local deadline=$((SECONDS + $1)) what="$2"; shift 2
  until "$@" > /dev/null 2>&1; do
    if ((SECONDS >= deadline)); then die "timed out waiting for $what (logs: $TPX_LOGS)"; fi
    sleep 1
  done
}

alive() {
  running "$1" || die "$1 exited; last lines of $TPX_LOGS/$1.log:
$(tail -n 20 "$TPX_LOGS/$1.log" 2>/dev/null)"
}

curl_pki() { curl -sf --cacert "$TPX_PKI/ca.crt" --cert "$TPX_PKI/admin.crt" --key "$TPX_PKI/admin.key" "$@"; }

setup_host() {
  mkdir -p "$TPX_RUN" "$TPX_LOGS" "$PIDS"
  if [[ ! -e "$TPX_RUN/host.saved" ]]; then
    {
      for key in "${SYSCTLS[@]}"; do
        value="$(sysctl -n "$key" 2>/dev/null)" && printf 'sysctl %s %s\n' "$key" "$value"
      done
      for path in "${OUTSIDE_PATHS[@]}"; do [[ -e "$path" ]] || echo "created $path"; done
    } > "$TPX_RUN/host.saved"
  fi
  sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1
  if ! ip link show "$BRIDGE" > /dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge
    ip addr add "$NODE_IP/${POD_CIDR#*/}" dev "$BRIDGE"
  fi
  ip link set "$BRIDGE" up
  if ! ip link show "$SERVICE_VETH" > /dev/null 2>&1; then
    ip link add "$SERVICE_VETH" type veth peer name "$SERVICE_VETH_PEER"
  fi
  ip link set "$SERVICE_VETH" up
  ip link set "$SERVICE_VETH_PEER" down
  ip route replace "$SERVICE_CIDR" dev "$SERVICE_VETH" src "$NODE_IP"
  # Pods may talk to each other and to this host, never through it to anywhere else.
  if ! iptables -w -L TPX-FORWARD -n > /dev/null 2>&1; then
    iptables -w -N TPX-FORWARD
    iptables -w -A TPX-FORWARD -i "$BRIDGE" -o "$BRIDGE" -j RETURN
    iptables -w -A TPX-FORWARD -i "$BRIDGE" -j DROP
    iptables -w -A TPX-FORWARD -o "$BRIDGE" -j DROP
  fi
  first_in_forward
}

# first_in_forward: keep the jump to TPX-FORWARD ahead of kube-proxy's, which accept some
# packets (marked for masquerading, or of established flows) before later rules see them.
first_in_forward() {
  [[ "$(iptables -w -S FORWARD 2> /dev/null | sed -n 2p)" == "-A FORWARD -j TPX-FORWARD" ]] && return
  iptables -w -D FORWARD -j TPX-FORWARD 2> /dev/null || true
  iptables -w -I FORWARD 1 -j TPX-FORWARD
}

# write_file FILE: write stdin to FILE unless FILE holds exactly that already (kube-proxy exits
# when its configuration file changes, even if only rewritten).
write_file() {
  local content; content="$(cat)"
  [[ -e "$1" && "$(cat "$1")" == "$content" ]] && return
  printf '%s\n' "$content" > "$1.tmp" && mv "$1.tmp" "$1"
}

write_configs() {
  mkdir -p "$TPX_RUN/cni/net.d" "$TPX_RUN/containerd" "$TPX_RUN/kubelet" "$TPX_RUN/config"
  write_file "$TPX_RUN/cni/net.d/10-tpx.conflist" <<CONF
{
  "cniVersion": "1.0.0",
  "name": "tpx",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "$POD_CIDR", "gateway": "$NODE_IP" }]],
        "routes": [{ "dst": "0.0.0.0/0" }],
        "dataDir": "$TPX_RUN/cni/ipam"
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
CONF
  write_file "$TPX_RUN/config/containerd.toml" <<CONF
version = 2
root = "$TPX_RUN/containerd/root"
state = "$TPX_RUN/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "$CONTAINERD_SOCK"
[ttrpc]
  address = "$CONTAINERD_SOCK.ttrpc"
[debug]
  address = "$CONTAINERD_SOCK.debug"
[plugins."io.containerd.internal.v1.opt"]
  path = "$TPX_RUN/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # Without CAP_SYS_RESOURCE (as here) nothing may lower oom_score_adj below its own; kubelet
  # asks -998 for sandboxes and runc fails with "failed to update /proc/self/oom_score_adj:
  # Permission denied". Clamp to containerd's own value instead.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "${TPX_RUNC:-$(command -v runc)}"
        Root = "$TPX_RUN/containerd/runc"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$TPX_RUN/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = ""
CONF
  write_file "$TPX_RUN/config/kubelet.yaml" <<CONF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: "$NODE_IP"
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: "$TPX_PKI/ca.crt"}
authorization: {mode: Webhook}
tlsCertFile: "$TPX_PKI/kubelet-serving.crt"
tlsPrivateKeyFile: "$TPX_PKI/kubelet-serving.key"
containerRuntimeEndpoint: "unix://$CONTAINERD_SOCK"
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
oomScoreAdj: 0  # no CAP_SYS_RESOURCE to lower it (see restrict_oom_score_adj)
clusterDomain: cluster.local
clusterDNS: ["$DNS_SERVICE_IP"]
resolvConf: ""
podCIDR: "$POD_CIDR"
podLogsDir: "$TPX_RUN/pod-logs"
healthzBindAddress: 127.0.0.1
readOnlyPort: 0
protectKernelDefaults: false
serializeImagePulls: false
# The images here are built locally and can never be pulled again: never collect them.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "100Mi", nodefs.available: "2%", nodefs.inodesFree: "2%", imagefs.available: "2%"}
evictionPressureTransitionPeriod: 30s
maxPods: 60
rotateCertificates: false
serverTLSBootstrap: false
CONF
  write_file "$TPX_RUN/config/kube-proxy.yaml" <<CONF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: "$TPX_PKI/kube-proxy.kubeconfig"}
hostnameOverride: $NODE_NAME
mode: iptables
clusterCIDR: "$POD_CIDR"
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
nodePortAddresses: ["$NODE_IP/32"]
oomScoreAdj: 0
# Leave the host's conntrack settings alone.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
CONF
}

start_control_plane() {
  start etcd etcd --name tpx --data-dir "$TPX_RUN/etcd" \
    --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster tpx=http://127.0.0.1:2380 --listen-metrics-urls http://127.0.0.1:2381 \
    --unsafe-no-fsync --log-level warn
  wait_until 60 etcd curl -sf http://127.0.0.1:2379/health
  alive etcd
  start kube-apiserver kube-apiserver \
    --etcd-servers http://127.0.0.1:2379 \
    --bind-address 0.0.0.0 --secure-port 6443 --advertise-address "$NODE_IP" \
    --service-cluster-ip-range "$SERVICE_CIDR" \
    --tls-cert-file "$TPX_PKI/apiserver.crt" --tls-private-key-file "$TPX_PKI/apiserver.key" \
    --client-ca-file "$TPX_PKI/ca.crt" \
    --kubelet-client-certificate "$TPX_PKI/apiserver-kubelet-client.crt" \
    --kubelet-client-key "$TPX_PKI/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority "$TPX_PKI/ca.crt" \
    --kubelet-preferred-address-types InternalIP \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$TPX_PKI/sa.pub" \
    --service-account-signing-key-file "$TPX_PKI/sa.key" \
    --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
    --allow-privileged=true \
    --requestheader-client-ca-file "$TPX_PKI/front-proxy-ca.crt" \
    --requestheader-allowed-names front-proxy-client \
    --requestheader-extra-headers-prefix X-Remote-Extra- \
    --requestheader-group-headers X-Remote-Group \
    --requestheader-username-headers X-Remote-User \
    --proxy-client-cert-file "$TPX_PKI/front-proxy-client.crt" \
    --proxy-client-key-file "$TPX_PKI/front-proxy-client.key" \
    --profiling=false
  wait_until 120 kube-apiserver curl_pki https://127.0.0.1:6443/readyz
  alive kube-apiserver
  start kube-controller-manager kube-controller-manager \
    --kubeconfig "$TPX_PKI/controller-manager.kubeconfig" \
    --authentication-kubeconfig "$TPX_PKI/controller-manager.kubeconfig" \
    --authorization-kubeconfig "$TPX_PKI/controller-manager.kubeconfig" \
    --bind-address 127.0.0.1 --leader-elect=false \
    --cluster-signing-cert-file "$TPX_PKI/ca.crt" --cluster-signing-key-file "$TPX_PKI/ca.key" \
    --root-ca-file "$TPX_PKI/ca.crt" --service-account-private-key-file "$TPX_PKI/sa.key" \
    --use-service-account-credentials=true \
    --allocate-node-cidrs=true --cluster-cidr "$POD_CIDR" --node-cidr-mask-size "${POD_CIDR#*/}" \
    --service-cluster-ip-range "$SERVICE_CIDR" \
    --requestheader-client-ca-file "$TPX_PKI/front-proxy-ca.crt" \
    --profiling=false
  start kube-scheduler kube-scheduler \
    --kubeconfig "$TPX_PKI/scheduler.kubeconfig" \
    --authentication-kubeconfig "$TPX_PKI/scheduler.kubeconfig" \
    --authorization-kubeconfig "$TPX_PKI/scheduler.kubeconfig" \
    --bind-address 127.0.0.1 --leader-elect=false --profiling=false
}

ctr_k8s() { ctr --address "$CONTAINERD_SOCK" --namespace k8s.io "$@"; }

# import_images: load each image tarball containerd does not hold yet (or holds an older copy of).
import_images() {
  local tar stamp
  for tar in "$TPX_IMAGES"/*.tar; do
    stamp="$TPX_RUN/containerd/imported-$(basename "$tar" .tar)"
    if [[ -e "$stamp" && "$stamp" -nt "$tar" ]]; then continue; fi
    log "importing $(basename "$tar")"
    ctr_k8s images import --no-unpack=false "$tar" > /dev/null
    touch "$stamp"
  done
}

start_node() {
  start containerd containerd --config "$TPX_RUN/config/containerd.toml" --log-level warn
  wait_until 60 containerd ctr --address "$CONTAINERD_SOCK" version
  alive containerd
  import_images
  start kubelet kubelet --config "$TPX_RUN/config/kubelet.yaml" \
    --kubeconfig "$TPX_PKI/kubelet.kubeconfig" --root-dir "$TPX_RUN/kubelet" \
    --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" --v 1
  start kube-proxy kube-proxy --config "$TPX_RUN/config/kube-proxy.yaml"
  wait_until 120 "node $NODE_NAME to register" kubectl_admin get node "$NODE_NAME"
  alive kubelet
  wait_until 120 "node $NODE_NAME to be Ready" \
    kubectl_admin wait --for=condition=Ready "node/$NODE_NAME" --timeout 5s
}

start_dns() {
  sed -e "s|@DNS_SERVICE_IP@|$DNS_SERVICE_IP|g" -e "s|@COREDNS_IMAGE@|$COREDNS_IMAGE|g" \
    "$TPX_CLUSTER_SRC/coredns.yaml" | kubectl_admin apply -f - > /dev/null
  wait_until 180 "CoreDNS to answer" \
    tpx-echo lookup "kubernetes.default.svc.cluster.local" "$DNS_SERVICE_IP"
}

up() {
  local start=$SECONDS
  "$TPX_CLUSTER_SRC/build.sh"
  "$TPX_CLUSTER_SRC/image.sh" --no-import
  make_pki
  if [[ -d "$TPX_RUN" ]] && ! any_running; then
    # Left by a session that ended without "down" (or a reboot): start from a clean slate.
    log "nothing runs but $TPX_RUN exists: cleaning up first"
    down
  fi
  log "starting the cluster (state and logs in $TPX_RUN)"
  local cluster_start=$SECONDS
  setup_host
  write_configs
  start_control_plane
  start_node
  start_dns
  first_in_forward
  for name in "${COMPONENTS[@]}"; do alive "$name"; done
  log "cluster is up: node Ready, DNS answers (start $((SECONDS - cluster_start))s, all $((SECONDS - start))s)"
  echo "KUBECONFIG=$TPX_KUBECONFIG"
}

status() {
  local name pid code=0
  for name in "${COMPONENTS[@]}"; do
    if running "$name"; then
      printf '%-24s running (pid %s)\n' "$name" "$(cat "$PIDS/$name.pid")"
    else
      printf '%-24s stopped\n' "$name"; code=1
    fi
  done
  if running kube-apiserver && kubectl_admin get node "$NODE_NAME" > /dev/null 2>&1; then
    local ready
    ready="$(kubectl_admin get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')"
    printf '%-24s %s\n' "node $NODE_NAME" "$([[ "$ready" == True ]] && echo Ready || echo NotReady)"
    [[ "$ready" == True ]] || code=1
  else
    printf '%-24s %s\n' "node $NODE_NAME" "absent"; code=1
  fi
  echo "KUBECONFIG=$TPX_KUBECONFIG"
  return "$code"
}

# stop NAME: SIGTERM, then SIGKILL after 10 seconds.
stop() {
  running "$1" || { rm -f "$PIDS/$1.pid"; return 0; }
  local pid; pid="$(cat "$PIDS/$1.pid")"
  log "stopping $1"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$PIDS/$1.pid"
}

# remove_rules CMD: delete the KUBE-*, CNI-* and TPX-* chains of iptables or ip6tables, and
# every rule that jumps to them.
remove_rules() {
  local cmd="$1" table rule chains
  command -v "$cmd" > /dev/null || return 0
  for table in filter nat mangle raw; do
    while read -r rule; do
      eval "$cmd -w -t $table -D ${rule#-A }" || true
    done < <("$cmd-save" -t "$table" 2>/dev/null |
      grep -E '^-A (INPUT|OUTPUT|FORWARD|PREROUTING|POSTROUTING) .*-j (KUBE|CNI|TPX)-' || true)
    chains="$("$cmd-save" -t "$table" 2>/dev/null | grep -oE '^:(KUBE|CNI|TPX)-[^ ]+' | tr -d : || true)"
    for chain in $chains; do "$cmd" -w -t "$table" -F "$chain" || true; done
    for chain in $chains; do "$cmd" -w -t "$table" -X "$chain" || true; done
  done
}

down() {
  local name id runc_root="$TPX_RUN/containerd/runc/k8s.io"
  for name in kube-proxy kubelet kube-scheduler kube-controller-manager; do stop "$name"; done
  # Kill every container while containerd still knows them, then let the shims go.
  if [[ -d "$runc_root" ]]; then
    for id in $(runc --root "$runc_root" list -q 2>/dev/null); do
      runc --root "$runc_root" kill -a "$id" KILL 2>/dev/null || true
    done
  fi
  stop containerd
  for pid in $(pgrep -f "containerd-shim-runc-v2 .*-address $CONTAINERD_SOCK" || true); do
    kill -KILL "$pid" 2>/dev/null || true
  done
  if [[ -d "$runc_root" ]]; then
    sleep 0.5
    for id in $(runc --root "$runc_root" list -q 2>/dev/null); do
      runc --root "$runc_root" delete -f "$id" 2>/dev/null || true
    done
  fi
  stop kube-apiserver
  stop etcd
  # Unmount, deepest first, whatever is mounted under the runtime dir, and the pod netns.
  local netns_list=""
  [[ -e "$TPX_RUN/host.saved" ]] && netns_list="$(awk -v run="$TPX_RUN" '$5 ~ "^/(var/)?run/netns/cni-" {print $5}' /proc/self/mountinfo)"
  for mnt in $(awk -v run="$TPX_RUN" 'index($5, run "/") == 1 {print $5}' /proc/self/mountinfo | sort -r) $netns_list; do
    umount -l "$mnt" 2>/dev/null || true
  done
  for mnt in $netns_list; do rm -f "$mnt"; done
  ip link del "$BRIDGE" 2>/dev/null || true
  ip link del "$SERVICE_VETH" 2>/dev/null || true
  remove_rules iptables
  remove_rules ip6tables
  # Packet counters kube-proxy's rules use; deletable only once no rule refers to them.
  for counter in ct_state_invalid_dropped_pkts localhost_nps_accepted_pkts; do
    nfacct delete "$counter" > /dev/null 2>&1 || true
  done
  # Pod cgroups (cgroupfs driver): kubelet puts every pod under "kubepods" in each hierarchy.
  # containerd puts containers it runs outside kubelet (ctr run) under "k8s.io".
  for dir in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/*/k8s.io; do
    [[ -d "$dir" ]] && { find "$dir" -depth -type d -exec rmdir {} \; 2> /dev/null || true; }
  done
  if [[ -e "$TPX_RUN/host.saved" ]]; then
    while read -r kind key value; do
      case "$kind" in
        sysctl) sysctl -qw "$key=$value" 2>/dev/null || true ;;
        created) rm -rf "$key" ;;
      esac
    done < "$TPX_RUN/host.saved"
  fi
  rm -rf "$TPX_RUN"
  log "cluster is down; caches kept in $TPX_CACHE"
}

if [[ "${1:-}" == up || "${1:-}" == down ]] && ((EUID != 0)); then
  die "cluster.sh $1 needs root (it runs containerd and kubelet, and changes links, routes and iptables)"
fi
case "${1:-}" in
  up) up ;;
  status) status ;;
  down) down ;;
  *) echo "usage: $0 up|status|down" >&2; exit 2 ;;
esac
