# shellcheck disable=SC2034  # every setting here is used by the scripts that source it
# Shared settings of the local test cluster's scripts; sourced, never run.
# Everything built or cached lives under $TPX_CACHE (outside the repo, kept across runs);
# everything the running cluster creates lives under $TPX_RUN (removed by "down").

TPX_CLUSTER_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TPX_REPO="$(cd "$TPX_CLUSTER_SRC/../.." && pwd)"
TPX_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/tpx-cluster"
TPX_BIN="$TPX_CACHE/bin"
TPX_IMAGES="$TPX_CACHE/images"
TPX_PKI="$TPX_CACHE/pki"
TPX_KUBECONFIG="$TPX_CACHE/admin.kubeconfig"
TPX_RUN="${TPX_RUN:-/var/lib/tpx-cluster}"
TPX_LOGS="$TPX_RUN/logs"

K8S_VERSION=v1.34.4
NODE_NAME=tpx-node
NODE_IP=10.244.0.1            # the pod bridge's own address: apiserver and kubelet are reached here
POD_CIDR=10.244.0.0/24
SERVICE_CIDR=10.96.0.0/16
KUBERNETES_SERVICE_IP=10.96.0.1
DNS_SERVICE_IP=10.96.0.10
BRIDGE=tpx-br0
SERVICE_VETH=tpx-svc0         # service range routed here; its peer stays down so packets die
SERVICE_VETH_PEER=tpx-svc1
CONTAINERD_SOCK="$TPX_RUN/containerd/containerd.sock"

PAUSE_IMAGE=localhost/pause:tpx
COREDNS_IMAGE=localhost/coredns:tpx
ECHO_IMAGE=localhost/tpx-echo:tpx
TPX_IMAGE=localhost/tpx:dev

export GOTOOLCHAIN=local
export GOMODCACHE="$TPX_CACHE/go/mod"
export GOCACHE="$TPX_CACHE/go/build"
# kubectl's discovery cache stays with the cluster's files, out of ~/.kube.
export KUBECACHEDIR="$TPX_CACHE/kube-cache"
export GOFLAGS=-mod=mod
export CGO_ENABLED=0
export PATH="$TPX_BIN:/usr/local/go/bin:/usr/sbin:/sbin:$PATH"

log() { printf '[tpx-cluster %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
