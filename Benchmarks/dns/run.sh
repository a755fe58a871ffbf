#!/usr/bin/env bash
# Reproduces the DNS figures in docs/dns.md ("Benchmarks") and the DNS section of docs/benchmarks.md:
# a release `switchyard dns` serving a generated zone (SERVICES services over 100 namespaces, PODS pods
# as their endpoints), and for reference the same records served by Knot DNS and NSD (C authoritative
# servers, Debian packages `knot` and `nsd`) from the master file `switchyard dns --write-zone`
# writes. Each
# server in turn is pinned to one core and driven by dnsperf on another core with the same query
# file (A, SRV and NXDOMAIN queries) and the same arguments:
#   1. maximum throughput (dnsperf unthrottled),
#   2. latency at half that server's maximum (dnsperf -v, p50/p99 computed from every query's latency),
#   3. resident memory of the server after the load.
# Before the load a sample of the queries is asked of both servers with dig and the answers compared.
# It ends with a side-by-side summary and the ratios switchyard/knot and switchyard/nsd.
#
# Usage: Benchmarks/dns/run.sh [SERVICES] [PODS] [SECONDS] [--json FILE]
# Environment: PORT (switchyard, 5354), KNOT_PORT (5355), NSD_PORT (5356), SERVER_CPU (1),
# CLIENT_CPU (0), RT=1 (SCHED_FIFO), HALF_QPS (one rate for the latency phase of every server),
# LAT_ARGS, REFERENCES ("knot nsd"; "none" for switchyard alone), DNS_JSON=FILE (same as --json),
# SCRATCH (the build directory, .build).
set -euo pipefail
cd "$(dirname "$0")/../.."

ARGS=()
JSON=${DNS_JSON:-}
while [ $# -gt 0 ]; do
  case "$1" in
    --json) JSON=${2:?--json needs a file}; shift 2 ;;
    --json=*) JSON=${1#--json=}; shift ;;
    *) ARGS+=("$1"); shift ;;
  esac
done
SERVICES=${ARGS[0]:-10000}
PODS=${ARGS[1]:-50000}
SECONDS_PER_RUN=${ARGS[2]:-10}
PORT=${PORT:-5354}
KNOT_PORT=${KNOT_PORT:-5355}
NSD_PORT=${NSD_PORT:-5356}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
SCRATCH=${SCRATCH:-.build}
REFERENCES=${REFERENCES:-${REFERENCE:-knot nsd}}
# RT=1 runs server and client under SCHED_FIFO (chrt -f 10) so that other work on a shared machine
# does not preempt them: it separates the server's own latency from the machine's scheduling noise.
PRIO=()
[ "${RT:-0}" = 1 ] && PRIO=(chrt -f 10)
WORK=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
SERVER=""
stop_server() {
  if [ -n "$SERVER" ]; then
    kill "$SERVER" 2>/dev/null || true
    wait "$SERVER" 2>/dev/null || true
    SERVER=""
  fi
}
trap 'stop_server; rm -rf "$WORK"' EXIT
LOAD_AVERAGE=$(cut -d' ' -f1-3 /proc/loadavg)

swift build -c release --scratch-path "$SCRATCH" --product switchyard >/dev/null
BIN="$SCRATCH/release/switchyard"
GEN=(--benchmark-services "$SERVICES" --benchmark-pods "$PODS")

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

# The references: Knot DNS and NSD from Debian, installed when missing, each sandboxed in $WORK
# (config, zone, databases, control socket or pid file), listening on 127.0.0.1 only.
# install PACKAGE BINARY: prints the binary's path, or nothing when it cannot be installed.
install() {
  local binary
  binary=$(command -v "$2" || echo "/usr/sbin/$2")
  if [ ! -x "$binary" ]; then
    echo "== installing $1 (Debian package) for a reference server" >&2
    export DEBIAN_FRONTEND=noninteractive
    { apt-get install -y "$1" >"$WORK/apt-$1.log" 2>&1 \
        || { apt-get update >>"$WORK/apt-$1.log" 2>&1 && apt-get install -y "$1" >>"$WORK/apt-$1.log" 2>&1; }; } \
      || { echo "warning: could not install $1 (see the apt output below); no $1 reference" >&2; tail -5 "$WORK/apt-$1.log" >&2; }
  fi
  [ -x "$binary" ] && echo "$binary"
  return 0
}
KNOTD=""
NSD=""
case " $REFERENCES " in *" knot "*) KNOTD=$(install knot knotd) ;; esac
case " $REFERENCES " in *" nsd "*) NSD=$(install nsd nsd) ;; esac
if [ -n "$KNOTD" ]; then
  mkdir -p "$WORK/knot/db"
  "$BIN" dns "${GEN[@]}" --write-zone "$WORK/knot/cluster.local.zone"
  cat > "$WORK/knot/knot.conf" <<EOF
# One UDP and one TCP worker: the server gets one core, like switchyard's single event loop.
server:
    rundir: "$WORK/knot"
    listen: 127.0.0.1@$KNOT_PORT
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
database:
    storage: "$WORK/knot/db"
log:
  - target: stderr
    any: info
template:
  - id: default
    storage: "$WORK/knot"
    semantic-checks: off
    journal-content: none
    zonefile-sync: -1
    zonefile-load: whole
zone:
  - domain: cluster.local
    file: cluster.local.zone
EOF
fi
if [ -n "$NSD" ]; then
  mkdir -p "$WORK/nsd"
  "$BIN" dns "${GEN[@]}" --write-zone "$WORK/nsd/cluster.local.zone"
  cat > "$WORK/nsd/nsd.conf" <<EOF
# One server process: the server gets one core, like switchyard's single event loop. The same 4 MiB
# receive buffer switchyard asks for, so that neither drops what the other would queue; no response
# rate limiting (Debian builds it in: 200 replies/s per client network). NSD adds the zone's NS
# record to the authority section of every answer (its `minimal-responses` would drop the additional
# records too, less work than the others do); those lines are left out of the answer comparison.
server:
    ip-address: 127.0.0.1@$NSD_PORT
    server-count: 1
    username: ""
    chroot: ""
    zonesdir: "$WORK/nsd"
    database: ""
    zonelistfile: "$WORK/nsd/zone.list"
    xfrdfile: "$WORK/nsd/xfrd.state"
    xfrdir: "$WORK/nsd"
    pidfile: "$WORK/nsd/nsd.pid"
    receive-buffer-size: 4194304
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
    verbosity: 1
remote-control:
    control-enable: no
zone:
    name: cluster.local
    zonefile: cluster.local.zone
EOF
fi

NAMES=""
# Starts server $1 (switchyard | knot | nsd) pinned to SERVER_CPU and waits until it answers; sets SERVER
# and SERVER_PORT.
start_server() {
  local log="$WORK/$1.log"
  case "$1" in
    switchyard)
      SERVER_PORT=$PORT
      taskset -c "$SERVER_CPU" "${PRIO[@]}" "$BIN" dns "${GEN[@]}" --listen "127.0.0.1:$PORT" --upstream none \
        > "$log" 2>&1 &
      ;;
    knot)
      SERVER_PORT=$KNOT_PORT
      taskset -c "$SERVER_CPU" "${PRIO[@]}" "$KNOTD" -c "$WORK/knot/knot.conf" > "$log" 2>&1 &
      ;;
    nsd)
      SERVER_PORT=$NSD_PORT
      # -d: in the foreground (its children, the server and xfrd, end with it on SIGTERM).
      taskset -c "$SERVER_CPU" "${PRIO[@]}" "$NSD" -d -c "$WORK/nsd/nsd.conf" > "$log" 2>&1 &
      ;;
  esac
  SERVER=$!
  for _ in $(seq 1 300); do
    # Up when the zone is loaded: a service name has its address.
    if [ -n "$(dig @127.0.0.1 -p "$SERVER_PORT" +time=1 +tries=1 +short svc-1.ns-1.svc.cluster.local 2>/dev/null)" ]; then
      # Settle: right after a start preceded by refused probes, a burst of dig queries to switchyard
      # was seen to get "connection refused" for about a second (not seen with Knot, nor later).
      sleep 2
      return 0
    fi
    kill -0 "$SERVER" 2>/dev/null || break
    sleep 0.2
  done
  echo "error: $1 did not start answering; its log:" >&2
  cat "$log" >&2
  return 1
}

# The server's processes: the one started and its descendants (`nsd -d` answers from a grandchild).
server_pids() {
  local all=$1 frontier=$1 next p
  while [ -n "$frontier" ]; do
    next=""
    for p in $frontier; do next="$next $(pgrep -P "$p" | tr '\n' ' ' || true)"; done
    frontier=$(echo $next)
    all="$all $frontier"
  done
  echo $all
}
# CPU ticks (user + system) of the server's processes together; the command name may hold spaces
# (`nsd: server 1`), so the fields are counted after it.
cpu_ticks() { local p; for p in $(server_pids "$1"); do sed 's/.*) //' "/proc/$p/stat" | awk '{print $12 + $13}'; done | awk '{t += $1} END {print t}'; }
# A status field (kB) of the server: the largest over its processes (a forked child shares the
# parent's pages, so a sum would count the zone twice).
status_kb() { local p; for p in $(server_pids "$1"); do awk -v f="$2:" '$1 == f {print $2}' "/proc/$p/status"; done | sort -n | tail -1; }
TICKS=$(getconf CLK_TCK)
declare -A R  # results: R[<server>.<figure>]

# Runs the three phases against the running server, named $1.
measure() {
  local name=$1 perf c0 c1 t0 t1
  R[$name.rss_idle_kb]=$(status_kb "$SERVER" VmRSS)
  echo "== $name: max throughput: dnsperf -c 8 -q 512 -l $SECONDS_PER_RUN (client on cpu $CLIENT_CPU, server on cpu $SERVER_CPU)"
  taskset -c "$CLIENT_CPU" "${PRIO[@]}" dnsperf -s 127.0.0.1 -p "$SERVER_PORT" -d "$WORK/queries.txt" -c 8 -q 512 \
    -l "$SECONDS_PER_RUN" > "$WORK/$name-max.txt" 2>&1 &
  perf=$!
  c0=$(cpu_ticks "$SERVER"); t0=$(date +%s.%N)
  wait "$perf"
  c1=$(cpu_ticks "$SERVER"); t1=$(date +%s.%N)
  grep -E "Queries sent|Queries completed|Queries lost|Response codes|Queries per second|Average Latency|Latency StdDev" \
    "$WORK/$name-max.txt"
  R[$name.qps]=$(awk '/Queries per second/ {print int($4)}' "$WORK/$name-max.txt")
  R[$name.lost]=$(awk '/Queries lost/ {print $3}' "$WORK/$name-max.txt")
  R[$name.rcodes]=$(awk -F': *' '/Response codes/ {print $2}' "$WORK/$name-max.txt")
  local done
  done=$(awk '/Queries completed/ {print $3}' "$WORK/$name-max.txt")
  read -r "R[$name.cpu_percent]" "R[$name.per_cpu_second]" < <(awk -v c0="$c0" -v c1="$c1" -v t0="$t0" -v t1="$t1" \
    -v hz="$TICKS" -v done="$done" 'BEGIN { cpu = (c1 - c0) / hz; wall = t1 - t0;
      printf "%.0f %.0f\n", 100 * cpu / wall, (cpu > 0 ? done / cpu : 0) }')
  echo "server CPU: ${R[$name.cpu_percent]}% of one core; ${R[$name.per_cpu_second]} queries per server CPU-second"

  local half=${HALF_QPS:-$((R[$name.qps] / 2))}
  R[$name.half_qps]=$half
  # One client socket with at most 64 queries in flight: with -c 8 -q 512 dnsperf's own queueing
  # dominates the latencies it reports (avg 1.0 ms vs 0.29 ms at the same 80k qps).
  local lat_args=${LAT_ARGS:--c 1 -q 64}
  echo "== $name: latency at half load: dnsperf $lat_args -Q $half -v"
  # shellcheck disable=SC2086
  taskset -c "$CLIENT_CPU" "${PRIO[@]}" dnsperf -s 127.0.0.1 -p "$SERVER_PORT" -d "$WORK/queries.txt" $lat_args \
    -Q "$half" -l "$SECONDS_PER_RUN" -v > "$WORK/$name-half.txt" 2>&1
  grep -E "Queries sent|Queries completed|Queries lost|Queries per second|Average Latency" "$WORK/$name-half.txt"
  # dnsperf -v prints one line per query ending with its latency in seconds.
  awk '$1 == ">" {print $NF}' "$WORK/$name-half.txt" | sort -g > "$WORK/$name-lat.txt"
  local count
  count=$(wc -l < "$WORK/$name-lat.txt")
  R[$name.p50_ms]=null; R[$name.p99_ms]=null; R[$name.p999_ms]=null
  if [ "$count" -gt 0 ]; then
    for p in 50:p50 99:p99 99.9:p999; do
      R[$name.${p#*:}_ms]=$(awk -v q="${p%:*}" -v n="$count" 'NR == int(n * q / 100) + 1 { printf "%.3f", $1 * 1000; exit }' \
        "$WORK/$name-lat.txt")
    done
    echo "latency over $count queries: p50 ${R[$name.p50_ms]} ms, p99 ${R[$name.p99_ms]} ms, p99.9 ${R[$name.p999_ms]} ms"
  fi

  R[$name.rss_kb]=$(status_kb "$SERVER" VmRSS)
  R[$name.peak_rss_kb]=$(status_kb "$SERVER" VmHWM)
  echo "server RSS: idle ${R[$name.rss_idle_kb]} kB, after load ${R[$name.rss_kb]} kB, peak ${R[$name.peak_rss_kb]} kB"
}

# The same questions asked of both servers must get the same answers (compared as sorted record lines:
# answer, authority and additional sections).
SAMPLE=2000
head -n "$SAMPLE" "$WORK/queries.txt" > "$WORK/sample.txt"
ask_sample() {
  local skip='^;'
  # NSD's authority NS records in answers (see its configuration above).
  [ "$1" = nsd ] && skip='^;|^cluster\.local\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+NS[[:space:]]'
  dig @127.0.0.1 -p "$SERVER_PORT" +time=2 +tries=2 -f "$WORK/sample.txt" +noall +answer +authority +additional \
    2>/dev/null | grep -Ev "$skip" | sed '/^$/d' | sort > "$WORK/$1-sample.txt" || true
}

SERVERS=(switchyard)
VERSIONS=("switchyard $(git rev-parse --short HEAD 2>/dev/null || echo '?')")
start_server switchyard
NAMES=$(grep -oE "names=[0-9]+" "$WORK/switchyard.log" | head -1 | cut -d= -f2 || true)
grep -E "zone built|serving" "$WORK/switchyard.log" || true
ask_sample switchyard
measure switchyard
stop_server

# reference NAME VERSION: runs the reference server NAME, compares its answers and measures it.
reference() {
  local name=$1
  if start_server "$name"; then
    SERVERS+=("$name")
    VERSIONS+=("$2")
    grep -E "loaded, serial|read with success|error|warning" "$WORK/$name.log" | sed "s/^/$name: /" || true
    ask_sample "$name"
    if cmp -s "$WORK/switchyard-sample.txt" "$WORK/$name-sample.txt"; then
      R[$name.answers_match]=true
      echo "== answers: identical for the first $SAMPLE queries ($(wc -l < "$WORK/$name-sample.txt") record lines)"
    else
      R[$name.answers_match]=false
      echo "== answers: DIFFERENT for the first $SAMPLE queries (< switchyard, > $name; first lines):"
      diff "$WORK/switchyard-sample.txt" "$WORK/$name-sample.txt" | head -20 || true
    fi
    measure "$name"
  fi
  stop_server
}
[ -n "$KNOTD" ] && reference knot "$("$KNOTD" --version | sed -E 's/.*\((.*)\), version (.*)/\1 \2/')"
[ -n "$NSD" ] && reference nsd "NSD $("$NSD" -v 2>&1 | sed -nE 's/^NSD version (.*)/\1/p')"

# Summary.
ratio() {  # a b → a/b with two decimals, or null
  awk -v a="$1" -v b="$2" 'BEGIN { if (a == "null" || b == "null" || b + 0 == 0) print "null"; else printf "%.2f\n", a / b }'
}
COMMAND="Benchmarks/dns/run.sh $SERVICES $PODS $SECONDS_PER_RUN"
[ "${RT:-0}" = 1 ] && COMMAND="RT=1 $COMMAND"
echo
echo "== summary: $SERVICES services, $PODS pods (${NAMES:-?} names), $SECONDS_PER_RUN s per phase, server on cpu $SERVER_CPU, load average at start $LOAD_AVERAGE"
printf "%-26s %10s %8s %10s %9s %9s %9s %8s\n" server "max qps" "cpu %" "half qps" "p50 ms" "p99 ms" "p99.9 ms" "RSS MB"
for i in "${!SERVERS[@]}"; do
  s=${SERVERS[$i]}
  printf "%-26s %10s %8s %10s %9s %9s %9s %8s\n" "${VERSIONS[$i]}" "${R[$s.qps]}" "${R[$s.cpu_percent]}" "${R[$s.half_qps]}" \
    "${R[$s.p50_ms]}" "${R[$s.p99_ms]}" "${R[$s.p999_ms]}" "$((R[$s.rss_kb] / 1024))"
done
for s in "${SERVERS[@]:1}"; do
  R[$s.ratio_qps]=$(ratio "${R[switchyard.qps]}" "${R[$s.qps]}")
  R[$s.ratio_per_cpu_second]=$(ratio "${R[switchyard.per_cpu_second]}" "${R[$s.per_cpu_second]}")
  R[$s.ratio_p50]=$(ratio "${R[switchyard.p50_ms]}" "${R[$s.p50_ms]}")
  R[$s.ratio_p99]=$(ratio "${R[switchyard.p99_ms]}" "${R[$s.p99_ms]}")
  R[$s.ratio_rss]=$(ratio "${R[switchyard.rss_kb]}" "${R[$s.rss_kb]}")
  echo "switchyard/$s: max qps ${R[$s.ratio_qps]}×, queries per CPU-second ${R[$s.ratio_per_cpu_second]}×," \
    "p50 ${R[$s.ratio_p50]}×, p99 ${R[$s.ratio_p99]}×, RSS ${R[$s.ratio_rss]}× (answers identical on the sample: ${R[$s.answers_match]})"
done

if [ -n "$JSON" ]; then
  {
    printf '{"services": %s, "pods": %s, "names": %s, "seconds": %s, "queries": 100000, "rt": %s,\n' \
      "$SERVICES" "$PODS" "${NAMES:-null}" "$SECONDS_PER_RUN" "$([ "${RT:-0}" = 1 ] && echo true || echo false)"
    printf ' "server_cpu": %s, "client_cpu": %s, "load_average": "%s", "command": "%s",\n' \
      "$SERVER_CPU" "$CLIENT_CPU" "$LOAD_AVERAGE" "$COMMAND"
    printf ' "servers": ['
    for i in "${!SERVERS[@]}"; do
      s=${SERVERS[$i]}
      [ "$i" -gt 0 ] && printf ', '
      printf '\n  {"name": "%s", "version": "%s", "max_qps": %s, "lost": %s, "response_codes": "%s", "cpu_percent": %s,' \
        "$s" "${VERSIONS[$i]}" "${R[$s.qps]}" "${R[$s.lost]}" "${R[$s.rcodes]}" "${R[$s.cpu_percent]}"
      printf ' "queries_per_cpu_second": %s, "half_qps": %s, "p50_ms": %s, "p99_ms": %s, "p999_ms": %s,' \
        "${R[$s.per_cpu_second]}" "${R[$s.half_qps]}" "${R[$s.p50_ms]}" "${R[$s.p99_ms]}" "${R[$s.p999_ms]}"
      printf ' "rss_idle_kb": %s, "rss_kb": %s, "peak_rss_kb": %s}' \
        "${R[$s.rss_idle_kb]}" "${R[$s.rss_kb]}" "${R[$s.peak_rss_kb]}"
    done
    printf '],\n'
    # Per reference: whether its answers matched switchyard's on the sample, and switchyard/it.
    printf ' "sample_queries": %s, "references": {' "$SAMPLE"
    for i in "${!SERVERS[@]}"; do
      [ "$i" -eq 0 ] && continue
      s=${SERVERS[$i]}
      [ "$i" -gt 1 ] && printf ', '
      printf '\n  "%s": {"answers_match": %s, "ratios": {"max_qps": %s, "queries_per_cpu_second": %s, "p50": %s, "p99": %s, "rss": %s}}' \
        "$s" "${R[$s.answers_match]}" "${R[$s.ratio_qps]}" "${R[$s.ratio_per_cpu_second]}" "${R[$s.ratio_p50]}" \
        "${R[$s.ratio_p99]}" "${R[$s.ratio_rss]}"
    done
    printf '}}\n'
  } > "$JSON.tmp"
  mv "$JSON.tmp" "$JSON"
  echo "wrote $JSON"
fi
