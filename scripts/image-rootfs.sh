#!/usr/bin/env bash
# Assembles the root filesystem of the Switchyard image from files on this machine (no registry):
# the switchyard binary, nft and conntrack for debugging, and exactly the shared libraries they load
# (found with ldd), plus the few /etc files they read. `make image` commits it with buildah;
# the test suite runs the result in a chroot.
#
#   scripts/image-rootfs.sh BINARY OUTDIR
set -euo pipefail
binary=${1:?usage: image-rootfs.sh BINARY OUTDIR}
out=${2:?usage: image-rootfs.sh BINARY OUTDIR}
[ -x "$binary" ] || { echo "image-rootfs: $binary is not an executable" >&2; exit 2; }

rm -rf "$out"
mkdir -p "$out"/{usr/bin,usr/sbin,etc,tmp,proc,sys,dev,run/switchyard,var/run/netns}
chmod 1777 "$out/tmp"
cp "$binary" "$out/usr/bin/switchyard"
# Debug sections are a third of a release binary; symbols stay for backtraces.
if command -v strip >/dev/null; then strip --strip-debug "$out/usr/bin/switchyard"; fi
tools=()
for tool in nft conntrack; do
  path=$(command -v "$tool" || true)
  if [ -z "$path" ]; then
    echo "image-rootfs: $tool not found; the image will not have it (apt-get install nftables conntrack)" >&2
    continue
  fi
  cp "$path" "$out/usr/sbin/$tool"
  tools+=("$path")
done

# Every shared library the programs load, at the path the loader looks for it.
for program in "$binary" "${tools[@]}"; do
  ldd "$program" | awk '/=> \// { print $3 } /^\t\/lib/ { print $1 }'
done | sort -u | while read -r library; do
  mkdir -p "$out$(dirname "$library")"
  cp -L "$library" "$out$library"
done
# The loader's usual paths (/lib64 → the real file) and merged-/usr symlinks.
if [ -e /lib64/ld-linux-x86-64.so.2 ] && [ ! -e "$out/lib64/ld-linux-x86-64.so.2" ]; then
  mkdir -p "$out/lib64"
  cp -L /lib64/ld-linux-x86-64.so.2 "$out/lib64/"
fi

# Files the programs read: protocol and service names (nft), the users (none run as them), hosts.
for file in /etc/protocols /etc/services /etc/nsswitch.conf; do
  [ -e "$file" ] && cp "$file" "$out$file"
done
printf 'root:x:0:0:root:/:/usr/bin/switchyard\n' >"$out/etc/passwd"
printf 'root:x:0:\n' >"$out/etc/group"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$out/etc/hosts"
du -sh "$out" | awk '{ print "image-rootfs: " $1 " in " $2 }'
