#!/usr/bin/env bash
# Reproduces the DNS figures in docs/dns.md ("Benchmarks"): a release `switchyard dns` serving a
# generated zone (SERVICES services over 100 namespaces, PODS pods as their endpoints), pinned to one
# core, driven by dnsperf on another core with a mix of A, SRV and NXDOMAIN queries.
#   1. maximum throughput (dnsperf unthrottled),
#   2. latency at half that rate (dnsperf -v, p50/p99 computed from every query's latency),
#   3. resident memory of the server after the load.
# Usage: Benchmarks/dns/run.sh [SERVICES] [PODS] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."

SERVICES=${1:-10000}
PODS=${2:-50000}
SECONDS_PER_RUN=${3:-10}
PORT=${PORT:-5354}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
SCRATCH=${SCRATCH:-.build}
# RT=1 runs server and client under SCHED_FIFO (chrt -f 10) so that other work on a shared machine
# does not preempt them: it separates the server's own latency from the machine's scheduling noise.
PRIO=()
[ "${RT:-0}" = 1 ] && PRIO=(chrt -f 10)
WORK=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
trap 'kill "$SERVER" 2>/dev/null || true; rm -rf "$WORK"' EXIT

swift build -c release --scratch-path "$SCRATCH" --product switchyard >/dev/null
BIN="$SCRATCH/release/switchyard"

# Queries: 40% A of a service, 30% SRV of a named port, 30% NXDOMAIN (unknown service).
awk -v n="$SERVICES" 'BEGIN {
  srand(7);
  for (q = 0; q < 100000; q++) {
    i = int(rand() * n); ns = "ns-" (i % 100); r = rand();
    if (r < 0.4)      print "svc-" i "." ns ".svc.cluster.local A";
    else if (r < 0.7) print "_http._tcp.svc-" i "." ns ".svc.cluster.local SRV";
    else              print "nope-" i "." ns ".svc.cluster.local A";
  }
}' > "$WORK/queries.txt"

taskset -c "$SERVER_CPU" "${PRIO[@]}" "$BIN" dns --benchmark-services "$SERVICES" --benchmark-pods "$PODS" \
  --listen "127.0.0.1:$PORT" --upstream none > "$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do
  dig @127.0.0.1 -p "$PORT" +time=1 +tries=1 svc-1.ns-1.svc.cluster.local >/dev/null 2>&1 && break
  sleep 0.2
done
grep -E "zone built|serving" "$WORK/server.log" || true
RSS_IDLE=$(awk '/VmRSS/ {print $2}' /proc/$SERVER/status)

cpu_ticks() { awk '{print $14 + $15}' /proc/$SERVER/stat; }
TICKS=$(getconf CLK_TCK)
echo "== max throughput: dnsperf -c 8 -q 512 -l $SECONDS_PER_RUN (client on cpu $CLIENT_CPU, server on cpu $SERVER_CPU)"
taskset -c "$CLIENT_CPU" "${PRIO[@]}" dnsperf -s 127.0.0.1 -p "$PORT" -d "$WORK/queries.txt" -c 8 -q 512 -l "$SECONDS_PER_RUN" \
  > "$WORK/max.txt" 2>&1 &
PERF=$!
C0=$(cpu_ticks); T0=$(date +%s.%N)
wait "$PERF"
C1=$(cpu_ticks); T1=$(date +%s.%N)
grep -E "Queries sent|Queries completed|Queries lost|Response codes|Queries per second|Average Latency|Latency StdDev" "$WORK/max.txt"
QPS=$(awk '/Queries per second/ {print int($4)}' "$WORK/max.txt")
DONE=$(awk '/Queries completed/ {print $3}' "$WORK/max.txt")
awk -v c0="$C0" -v c1="$C1" -v t0="$T0" -v t1="$T1" -v hz="$TICKS" -v done="$DONE" 'BEGIN {
  cpu = (c1 - c0) / hz; wall = t1 - t0;
  printf "server CPU: %.2f s over %.2f s wall (%.0f%% of one core); %.0f queries per server CPU-second\n", cpu, wall, 100 * cpu / wall, done / cpu }'

HALF=${HALF_QPS:-$((QPS / 2))}
# One client socket with at most 64 queries in flight: with -c 8 -q 512 dnsperf's own queueing
# dominates the latencies it reports (avg 1.0 ms vs 0.29 ms at the same 80k qps).
LAT_ARGS=${LAT_ARGS:--c 1 -q 64}
echo "== latency at half load: dnsperf $LAT_ARGS -Q $HALF -v"
# shellcheck disable=SC2086
taskset -c "$CLIENT_CPU" "${PRIO[@]}" dnsperf -s 127.0.0.1 -p "$PORT" -d "$WORK/queries.txt" $LAT_ARGS -Q "$HALF" \
  -l "$SECONDS_PER_RUN" -v > "$WORK/half.txt" 2>&1
grep -E "Queries sent|Queries completed|Queries lost|Queries per second|Average Latency" "$WORK/half.txt"
# dnsperf -v prints one line per query ending with its latency in seconds.
awk '$1 == ">" {print $NF}' "$WORK/half.txt" | sort -g > "$WORK/lat.txt"
COUNT=$(wc -l < "$WORK/lat.txt")
if [ "$COUNT" -gt 0 ]; then
  P50=$(sed -n "$((COUNT * 50 / 100 + 1))p" "$WORK/lat.txt")
  P99=$(sed -n "$((COUNT * 99 / 100 + 1))p" "$WORK/lat.txt")
  P999=$(sed -n "$((COUNT * 999 / 1000 + 1))p" "$WORK/lat.txt")
  echo "latency over $COUNT queries: p50 ${P50}s p99 ${P99}s p99.9 ${P999}s"
fi

RSS=$(awk '/VmRSS/ {print $2}' /proc/$SERVER/status)
HWM=$(awk '/VmHWM/ {print $2}' /proc/$SERVER/status)
echo "server RSS: idle ${RSS_IDLE} kB, after load ${RSS} kB, peak ${HWM} kB"
