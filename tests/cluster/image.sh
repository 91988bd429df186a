#!/usr/bin/env bash
# Builds the tpx image (localhost/tpx:dev) from the working tree, with the Containerfile's layout
# and entrypoint (a registry-less build of the same recipe): Deno copied from this host
# with the libraries it links, the project's code in /app, and every npm/jsr package it needs
# pre-cached in /deno-dir, so "deno run --cached-only" never reaches a registry. Imports it
# into the local cluster's containerd when that runs. Skips the build when neither the code nor
# Deno changed since the last one; "cluster.sh up" runs it every time.
#
#   image.sh [--no-import] [--force]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

[[ -x "$TPX_BIN/mkimage" ]] || "$TPX_CLUSTER_SRC/build.sh"
stage="$TPX_CACHE/image-build/tpx"
deno_bin="$(readlink -f "$(command -v deno)")"
start=$SECONDS

rm -rf "$stage/app"
mkdir -p "$stage/app" "$stage/deno-dir" "$TPX_IMAGES"
# The project's code: the tracked tree minus what never runs in a container.
tar -C "$TPX_REPO" --exclude=./.git --exclude=./tests --exclude=./.cache --exclude=./dist \
  --exclude=./node_modules --exclude='*_test.ts' -cf - . | tar -C "$stage/app" -xf -

sum="$( (tar -C "$stage/app" --sort=name --mtime=@0 --owner=0 --group=0 -cf - . && deno --version &&
  cat "${BASH_SOURCE[0]}" "$TPX_BIN/tools.sum") | sha256sum | cut -c1-16)"
if [[ -e "$TPX_IMAGES/tpx.tar" && "$(cat "$TPX_IMAGES/tpx.sum" 2> /dev/null)" == "$sum" &&
  " $* " != *" --force "* ]]; then
  log "image $TPX_IMAGE is up to date"
  exit 0
fi

# Fill DENO_DIR with what the code imports. The cache is kept between builds, so only new
# packages are downloaded.
export DENO_DIR="$stage/deno-dir" DENO_NO_UPDATE_CHECK=1
(cd "$stage/app" && deno install --frozen --quiet)
if [[ -e "$stage/app/main.ts" ]]; then
  (cd "$stage/app" && deno cache --frozen --quiet main.ts)
else
  log "warning: $TPX_REPO/main.ts does not exist yet; the image holds the dependencies only"
fi

specs=("$deno_bin=/usr/local/bin/deno" "$stage/app=/app" "$stage/deno-dir=/deno-dir@65532"
  dir:/tmp:1777 dir:/home/nonroot:755@65532)
# Deno is linked against the host's glibc: take the exact libraries the loader resolves.
while read -r lib; do
  specs+=("$(readlink -f "$lib")=$lib")
done < <(ldd "$deno_bin" | grep -oE '/[^ ]+\.so[^ ]*')
printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' \
  > "$stage/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' > "$stage/group"
specs+=("$stage/passwd=/etc/passwd" "$stage/group=/etc/group")

log "writing image $TPX_IMAGE"
mkimage -o "$TPX_IMAGES/tpx.tar" -tag "$TPX_IMAGE" \
  -entrypoint '["/usr/local/bin/deno","run","--allow-all","--cached-only","--no-code-cache","--config","/app/deno.json","/app/main.ts"]' \
  -user 65532:65532 -workdir /app \
  -env PATH=/usr/local/bin:/usr/bin:/bin -env DENO_DIR=/deno-dir -env HOME=/home/nonroot \
  -env DENO_NO_UPDATE_CHECK=1 -env DENO_NO_PROMPT=1 \
  "${specs[@]}"
echo "$sum" > "$TPX_IMAGES/tpx.sum"

if [[ " $* " != *" --no-import "* ]] && ctr --address "$CONTAINERD_SOCK" version > /dev/null 2>&1; then
  log "importing $TPX_IMAGE into the running cluster"
  ctr --address "$CONTAINERD_SOCK" --namespace k8s.io images import "$TPX_IMAGES/tpx.tar" > /dev/null
  touch "$TPX_RUN/containerd/imported-tpx"
fi
log "image $TPX_IMAGE ready in $((SECONDS - start))s"
