#!/usr/bin/env bash
# `make bench`: the scaling curve of issue 8 and the micro-benchmarks of issue 3, written to
# docs/benchmarks.md (+ docs/benchmarks.png). Needs root (private network namespaces) and a release
# build of switchyard. Knobs (environment): BENCH_SIZES, BENCH_ENDPOINTS, BENCH_RUNS, BENCH_TIMEOUT,
# BENCH_LARGE (1: also 10,000 × 100), BENCH_MICRO (0: skip the ordo-one/benchmark suite), BENCH_DAEMON
# (0: skip the daemon end to end; BENCH_DAEMON_RUNS (3 at 10,000 × 10), BENCH_DAEMON_RATE, BENCH_DAEMON_SECONDS,
# BENCH_DAEMON_IDLE), BENCH_DNS
# (0: skip dnsperf against switchyard dns and Knot DNS; BENCH_DNS_SERVICES, BENCH_DNS_PODS,
# BENCH_DNS_SECONDS size it).
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-.build/release/switchyard}
SIZES=${BENCH_SIZES:-"1000 5000 10000 30000"}
ENDPOINTS=${BENCH_ENDPOINTS:-10}
RUNS=${BENCH_RUNS:-3}
TIMEOUT=${BENCH_TIMEOUT:-300}
LARGE=${BENCH_LARGE:-1}
MICRO=${BENCH_MICRO:-1}
DNS=${BENCH_DNS:-1}
OUT=bench-out
mkdir -p "$OUT"

run() {  # services endpoints runs
  local name="bench-$1x$2"
  echo "bench: $1 services × $2 endpoints, $3 runs (progress in $OUT/$name.log)" >&2
  if "$BIN" bench --services "$1" --endpoints-per-service "$2" --runs "$3" --path-timeout "$TIMEOUT" \
      --output json >"$OUT/$name.json.tmp" 2>"$OUT/$name.log"; then
    mv "$OUT/$name.json.tmp" "$OUT/$name.json"
  else
    echo "bench: $1 × $2 failed, see $OUT/$name.log" >&2
    rm -f "$OUT/$name.json.tmp"
  fi
}

for n in $SIZES; do run "$n" "$ENDPOINTS" "$RUNS"; done
if [ "$LARGE" = 1 ]; then run 10000 100 1; fi

if [ "$MICRO" = 1 ]; then
  echo "bench: issue 3 micro-benchmarks (Benchmarks/, release; the first build takes minutes)" >&2
  (cd Benchmarks && swift package --allow-writing-to-package-directory benchmark --no-progress --format text) \
    >"$OUT/micro.txt" 2>"$OUT/micro.log" || echo "bench: micro-benchmarks failed, see $OUT/micro.log" >&2
fi

DAEMON=${BENCH_DAEMON:-1}
if [ "$DAEMON" = 1 ]; then
  # The daemon end to end (issue 13): 10,000 × 10 and, with BENCH_LARGE, 10,000 × 100.
  shapes="10"; [ "$LARGE" = 1 ] && shapes="10 100"
  rm -f "$OUT"/daemon-*.json
  for e in $shapes; do
    runs=${BENCH_DAEMON_RUNS:-3}; [ "$e" = 100 ] && runs=1
    for run in $(seq 1 "$runs"); do
      # The isolated pipeline runs with the first run only (it is the same each time).
      extra=(); [ "$run" = 1 ] || extra=(--no-pipeline)
      echo "bench: the daemon against an API server, 10000 services × $e endpoints, run $run/$runs (progress in $OUT/daemon-$e-$run.log)" >&2
      python3 Benchmarks/daemon/run.py --bin "$BIN" --services 10000 --endpoints "$e" --pods 50000 \
          --rate "${BENCH_DAEMON_RATE:-100}" --seconds "${BENCH_DAEMON_SECONDS:-30}" --idle "${BENCH_DAEMON_IDLE:-65}" --dns-load \
          "${extra[@]}" --json "$OUT/daemon-$e-$run.json" >/dev/null 2>"$OUT/daemon-$e-$run.log" \
        || echo "bench: daemon benchmark failed, see $OUT/daemon-$e-$run.log" >&2
    done
  done
fi

if [ "$DNS" = 1 ]; then
  dns_args=("${BENCH_DNS_SERVICES:-10000}" "${BENCH_DNS_PODS:-50000}" "${BENCH_DNS_SECONDS:-10}")
  echo "bench: DNS, switchyard dns vs Knot DNS at ${dns_args[0]} services (progress in $OUT/dns.log)" >&2
  rm -f "$OUT/dns.json"
  Benchmarks/dns/run.sh "${dns_args[@]}" --json "$OUT/dns.json" >"$OUT/dns.log" 2>&1 \
    || echo "bench: DNS benchmark failed, see $OUT/dns.log" >&2
fi

python3 -c "import matplotlib" 2>/dev/null || { apt-get install -y -qq python3-matplotlib >/dev/null 2>&1 \
  || { apt-get update -qq && apt-get install -y -qq python3-matplotlib >/dev/null 2>&1; }; } \
  || echo "bench: matplotlib (Debian python3-matplotlib) unavailable, no plot" >&2
python3 scripts/bench-report.py "$OUT" docs/benchmarks.md docs/benchmarks.png
