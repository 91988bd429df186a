#!/usr/bin/env bash
# Builds what the local test cluster runs, skipping whatever is already built from the
# same sources: the Kubernetes multi-call binary, etcd, CoreDNS, the test tools, and the
# pause, CoreDNS and echo images. The tpx image is built by image.sh.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

# Debian packages the node needs (the container runtime, CNI plugins, netfilter tools).
packages=(containerd runc containernetworking-plugins iptables conntrack nfacct iproute2 openssl curl
  ca-certificates)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f '${Status}' "$package" 2> /dev/null | grep -q "ok installed" || missing+=("$package")
done
if ((${#missing[@]} > 0)); then
  log "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
fi
command -v go > /dev/null || die "Go is needed to build the cluster (looked in /usr/local/go/bin and PATH)"

mkdir -p "$TPX_BIN" "$TPX_IMAGES" "$GOMODCACHE" "$GOCACHE"

# sources_sum DIR: one hash of a Go module's own files (and the toolchain), to tell stale builds.
sources_sum() {
  (cd "$1" && find . -name go.mod -o -name go.sum -o -name '*.go' | sort | xargs cat && go version) |
    sha256sum | cut -c1-16
}

# build_module DIR OUTPUT [go build args...]: go build unless OUTPUT was built from these sources.
build_module() {
  local dir="$TPX_CLUSTER_SRC/$1" out="$2"; shift 2
  local sum; sum="$(sources_sum "$dir")"
  if [[ -e "$out" && "$(cat "$out.sum" 2>/dev/null)" == "$sum" ]]; then return; fi
  log "building $(basename "$out") (go build in tests/cluster/$(basename "$dir"))"
  local start=$SECONDS
  (cd "$dir" && go build -trimpath "$@" -o "$out" .)
  echo "$sum" > "$out.sum"
  log "built $(basename "$out") in $((SECONDS - start))s"
}

ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
  ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done

sum="$(sources_sum "$TPX_CLUSTER_SRC/tools")"
if [[ "$(cat "$TPX_BIN/tools.sum" 2>/dev/null)" != "$sum" ]]; then
  log "building pause, echo, mkimage"
  (cd "$TPX_CLUSTER_SRC/tools" && go build -trimpath -ldflags "-s -w" -o "$TPX_BIN/" ./...)
  echo "$sum" > "$TPX_BIN/tools.sum"
fi
build_module kube "$TPX_BIN/kube" -ldflags "$ldflags"
build_module etcd "$TPX_BIN/etcd" -ldflags "-s -w"
build_module coredns "$TPX_BIN/coredns" -ldflags "-s -w"
for name in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl; do
  ln -sf kube "$TPX_BIN/$name"
done

# image NAME TAG SPECS...: (re)write images/NAME.tar when its binaries are newer.
image() {
  local name="$1" tag="$2"; shift 2
  local out="$TPX_IMAGES/$name.tar"
  if [[ -e "$out" && "$out" -nt "$TPX_BIN/$name" && "$out" -nt "$TPX_BIN/mkimage" &&
    "$out" -nt "${BASH_SOURCE[0]}" ]]; then return; fi
  log "writing image $tag"
  mkimage -o "$out" -tag "$tag" "$@"
}
image pause "$PAUSE_IMAGE" -entrypoint '["/pause"]' "$TPX_BIN/pause=/pause"
image coredns "$COREDNS_IMAGE" -entrypoint '["/coredns"]' "$TPX_BIN/coredns=/coredns" \
  dir:/tmp:1777
image tpx-echo "$ECHO_IMAGE" -entrypoint '["/usr/local/bin/tpx-echo"]' -user 65532 \
  -env PATH=/usr/local/bin "$TPX_BIN/tpx-echo=/usr/local/bin/tpx-echo" dir:/tmp:1777
