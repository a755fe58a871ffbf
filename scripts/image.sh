#!/usr/bin/env bash
# `make image`: a small runtime image of Switchyard, built from this repository and this machine's
# files alone (FROM scratch: no registry pull):
#   1. a release build with the Swift runtime linked statically (its own scratch path, so the
#      ordinary release build is left as it is);
#   2. the root filesystem: scripts/image-rootfs.sh (the binary, nft, conntrack, their libraries);
#   3. the image, with buildah or podman (whichever is installed), tagged switchyard:VERSION and
#      switchyard:latest; IMAGE_ARCHIVE=path also writes it as an OCI archive.
set -euo pipefail
cd "$(dirname "$0")/.."
builder=""
for candidate in buildah podman; do
  if command -v "$candidate" >/dev/null; then builder=$candidate; break; fi
done
if [ -z "$builder" ]; then
  echo "image: needs buildah or podman (apt-get install buildah)" >&2
  exit 2
fi
scratch=.build/static
echo "image: release build with the Swift runtime linked statically (first time: ~10 min on 2 cores)" >&2
swift build -c release --product switchyard --static-swift-stdlib --scratch-path "$scratch"
binary="$scratch/release/switchyard"
version=$("$binary" --version)
rootfs=.build/image-rootfs
scripts/image-rootfs.sh "$binary" "$rootfs"
echo "image: $builder build -t switchyard:$version" >&2
if [ "$builder" = buildah ]; then
  buildah build --quiet -f Containerfile -t "switchyard:$version" -t switchyard:latest "$rootfs"
else
  podman build --quiet -f Containerfile -t "switchyard:$version" -t switchyard:latest "$rootfs"
fi
if [ -n "${IMAGE_ARCHIVE:-}" ]; then
  "$builder" push "switchyard:$version" "oci-archive:$IMAGE_ARCHIVE:switchyard:$version"
  echo "image: wrote $IMAGE_ARCHIVE" >&2
fi
"$builder" images switchyard
echo "image: push it with '$builder push switchyard:$version REGISTRY/switchyard:$version' and set it in examples/deploy/20-daemonset.yaml" >&2
