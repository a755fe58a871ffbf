#!/usr/bin/env bash
# The `make run` demo: a sandbox of network namespaces shaped like node-1 of examples/cluster, with
# `switchyard run` programming its node namespace and serving DNS on 127.0.0.1:5353.
#
#   scripts/demo.sh          bring it up, print a tour, wait for Ctrl-C, tear everything down
#   scripts/demo.sh check    the same, but run the tour's commands, check their answers, then also
#                            kill a web pod's server and remove its endpoint from the manifests and
#                            check that traffic moves; exits non-zero on any wrong answer
#
# Needs root (network namespaces, nftables). Touches only namespaces named sy-$TAG-… and the ports
# below on 127.0.0.1.
set -euo pipefail

BIN=${BIN:-.build/debug/switchyard}
CLUSTER=${CLUSTER:-examples/cluster}
TAG=${TAG:-demo}
NODE=${NODE:-node-1}
DNS_PORT=${DNS_PORT:-5353}
HEALTHZ=${HEALTHZ:-127.0.0.1:10256}
METRICS=${METRICS:-127.0.0.1:10249}
MIN_SYNC=${MIN_SYNC:-200ms}
MODE=${1:-tour}

NODE_NS=sy-$TAG-node
CLIENT_NS=sy-$TAG-client
WORK=$(mktemp -d /tmp/switchyard-demo.XXXXXX)
LOG=$WORK/switchyard.log
DAEMON_PID=""

if [ "$(id -u)" -ne 0 ]; then
  echo "demo: needs root (network namespaces and nftables); try: sudo make run" >&2
  exit 1
fi

teardown() {
  trap - EXIT INT TERM
  if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
    kill -TERM "$DAEMON_PID" 2>/dev/null || true
    wait "$DAEMON_PID" 2>/dev/null || true
  fi
  "$BIN" sandbox down --tag "$TAG" >/dev/null 2>&1 || true
  rm -rf "$WORK"
  echo "demo: sandbox $TAG torn down"
}
trap teardown EXIT
trap 'exit 130' INT TERM

# The daemon follows a copy, so the check can edit manifests without touching examples/.
cp -r "$CLUSTER" "$WORK/cluster"

"$BIN" sandbox up "$WORK/cluster" --tag "$TAG" --node "$NODE" > "$WORK/sandbox.txt"

"$BIN" run "$WORK/cluster" --netns "$NODE_NS" --node "$NODE" \
  --dns-listen "127.0.0.1:$DNS_PORT" --healthz-bind-address "$HEALTHZ" --metrics-bind-address "$METRICS" \
  --min-sync-period "$MIN_SYNC" --poll-interval 200ms >"$LOG" 2>&1 &
DAEMON_PID=$!

# Ready once /healthz answers and the table is in the node namespace.
for _ in $(seq 1 100); do
  if ! kill -0 "$DAEMON_PID" 2>/dev/null; then
    echo "demo: switchyard run exited; its log:" >&2
    cat "$LOG" >&2
    exit 1
  fi
  if curl -sf "http://$HEALTHZ/healthz" >/dev/null 2>&1 && ip netns exec "$NODE_NS" nft list table ip switchyard >/dev/null 2>&1; then
    break
  fi
  sleep 0.1
done

# The tour: each entry is "what it shows~command~what the answer must contain".
TOUR=(
  "DNS: a Service name resolves to its ClusterIP~dig @127.0.0.1 -p $DNS_PORT +short web.default.svc.cluster.local~10.96.0.20"
  "DNS: a headless Service lists its pods~dig @127.0.0.1 -p $DNS_PORT +short db.default.svc.cluster.local~10.244.0.50"
  "ClusterIP: the client reaches a web pod through 10.96.0.20~ip netns exec $CLIENT_NS curl -s --max-time 2 http://10.96.0.20/~web-"
  "NodePort: shop on the node's address, port 30080~ip netns exec $CLIENT_NS curl -s --max-time 2 http://192.168.50.10:30080/~shop-"
  "UDP: kube-dns's ClusterIP on port 53~ip netns exec $CLIENT_NS $BIN probe --udp 10.96.0.10 53~coredns-"
  "Health: kube-proxy's /healthz~curl -s http://$HEALTHZ/healthz~\"nodeEligible\": true"
  "Metrics: when the rules were last synced~curl -s http://$METRICS/metrics | grep ^kubeproxy_sync_proxy_rules_last_timestamp~kubeproxy_sync_proxy_rules_last_timestamp_seconds"
  "The rules, in the node namespace~ip netns exec $NODE_NS nft list table ip switchyard~table ip switchyard"
)

failures=0
run_tour() {
  for entry in "${TOUR[@]}"; do
    IFS='~' read -r what command expect <<<"$entry"
    output=$(bash -c "$command" 2>&1 || true)
    if grep -qF -- "$expect" <<<"$output"; then
      echo "ok   $what"
    else
      echo "FAIL $what"
      echo "     \$ $command"
      echo "     expected to contain: $expect"
      echo "     got: $(head -c 300 <<<"$output")"
      failures=$((failures + 1))
    fi
  done
}

# Kill one web pod's server and remove its endpoint from the manifests: traffic must move.
check_failover() {
  local address=10.244.0.10
  local pod_ns
  pod_ns=$(awk -v a=" $address " 'index($0, a) { print $1; exit }' "$WORK/sandbox.txt")
  if [ -z "$pod_ns" ]; then echo "FAIL failover: no sandbox namespace holds $address"; failures=$((failures + 1)); return; fi
  ip netns pids "$pod_ns" | xargs -r kill
  python3 - "$WORK/cluster/20-web.yaml" "$address" <<'PY'
import sys
path, address = sys.argv[1], sys.argv[2]
lines = open(path).read().split("\n")
start = lines.index("  - " + address) - 1           # the "- addresses:" line of that endpoint
end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith(" "))
open(path, "w").write("\n".join(lines[:start] + lines[end:]))
PY
  sleep 1.5   # poll interval + min sync period + margin
  local answers
  answers=$(for _ in $(seq 1 20); do ip netns exec "$CLIENT_NS" curl -s --max-time 1 http://10.96.0.20/ || echo "no answer"; echo; done)
  if grep -q "no answer" <<<"$answers" || ! grep -q "web-" <<<"$answers"; then
    echo "FAIL failover: after removing $address, 20 requests to 10.96.0.20 got:"; sort <<<"$answers" | uniq -c
    failures=$((failures + 1))
  else
    echo "ok   Failover: web pod $address killed and removed from the manifest; 20/20 requests answered by the others"
  fi
}

case "$MODE" in
  check)
    run_tour
    check_failover
    echo "demo-check: $(( ${#TOUR[@]} + 1 - failures )) passed, $failures failed"
    [ "$failures" -eq 0 ] || { echo "--- switchyard log ---"; tail -n 40 "$LOG"; exit 1; }
    ;;
  *)
    sed '/^Try:/,$d' "$WORK/sandbox.txt"
    echo
    echo "switchyard run is programming $NODE_NS (log: $LOG). Try:"
    for entry in "${TOUR[@]}"; do
      IFS='~' read -r what command _ <<<"$entry"
      echo "  # $what"
      echo "  $command"
    done
    echo
    echo "Edit the manifests it follows in $WORK/cluster and watch the rules follow."
    echo "Ctrl-C tears the sandbox down."
    while kill -0 "$DAEMON_PID" 2>/dev/null; do sleep 1; done
    echo "demo: switchyard run exited; last lines of its log:" >&2
    tail -n 20 "$LOG" >&2
    ;;
esac
