#!/usr/bin/env bash
# Installs the Debian packages Switchyard builds, tests and runs with — only those missing — so that
# `make run` and `make test` work on a fresh Debian machine. Needs root (or sudo) only when something
# is missing.
set -euo pipefail

packages=(
  libnftnl-dev libmnl-dev   # the netlink backend links these
  libjemalloc-dev           # the allocator (allocator.c)
  nftables iptables         # nft -c -f / iptables-restore --test oracles, and `bench`
  iproute2                  # network namespaces for end-to-end tests and the demo sandbox
  bind9-dnsutils knot-dnsutils  # dig and kdig for the DNS end-to-end tests
  dnsperf                   # DNS benchmarks
  conntrack                 # inspecting conntrack in end-to-end tests
  pkg-config
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
