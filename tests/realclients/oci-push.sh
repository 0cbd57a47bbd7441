#!/bin/sh
# Push a one-layer OCI image (linux/amd64, one file `hello.txt` holding TEXT) to a registry
# with curl, through the distribution API's blob uploads and a manifest PUT, for the tests
# whose client only pulls (ctr):
#
#   oci-push.sh REGISTRY_URL REPOSITORY TAG TEXT
set -eu
R=$1 REPO=$2 TAG=$3 TEXT=$4
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
mkdir "$W/rootfs"
printf '%s\n' "$TEXT" >"$W/rootfs/hello.txt"
tar -C "$W/rootfs" --owner=0 --group=0 --mtime=@0 -cf - hello.txt | gzip -9n >"$W/layer"
diff_id=sha256:$(gzip -dc "$W/layer" | sha256sum | cut -d' ' -f1)
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["%s"]},"config":{}}' "$diff_id" >"$W/config"
digest() { echo "sha256:$(sha256sum "$1" | cut -d' ' -f1)"; }
size() { wc -c <"$1" | tr -d ' '; }
upload() {
  loc=$(curl -fsS -X POST -D - -o /dev/null "$R/v2/$REPO/blobs/uploads/" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
  case $loc in http*) ;; *) loc=$R$loc ;; esac
  case $loc in *\?*) sep='&' ;; *) sep='?' ;; esac
  curl -fsS -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$1" "$loc${sep}digest=$(digest "$1")" >/dev/null
}
upload "$W/layer"
upload "$W/config"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%s}]}' \
  "$(digest "$W/config")" "$(size "$W/config")" "$(digest "$W/layer")" "$(size "$W/layer")" >"$W/manifest"
curl -fsS -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary "@$W/manifest" \
  "$R/v2/$REPO/manifests/$TAG" >/dev/null
