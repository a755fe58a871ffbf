#!/usr/bin/env bash
# `make fuzz`: runs each libFuzzer target of Fuzz/ for SECONDS (default 600) from its seed corpus.
# Inputs it finds go to bench-out/fuzz-<target>/ (the committed seeds stay as they are); a crash, a
# leak or an input slower than 10 s stops the target and is written to bench-out/fuzz-<target>-crash-*.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-600}
BIN=Fuzz/.build/release
status=0
for target in dns:FuzzDNSMessage manifests:FuzzManifest; do
  corpus=${target%%:*}; name=${target##*:}
  out=bench-out/fuzz-$name
  mkdir -p "$out"
  echo "fuzz: $name for ${SECONDS_EACH}s (corpus Fuzz/Corpus/$corpus + $out)" >&2
  if ! "$BIN/$name" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -max_len=65535 \
      -artifact_prefix="bench-out/fuzz-$name-crash-" -print_final_stats=1 "$out" "Fuzz/Corpus/$corpus" \
      >"bench-out/fuzz-$name.log" 2>&1; then
    echo "fuzz: $name FAILED, see bench-out/fuzz-$name.log and bench-out/fuzz-$name-crash-*" >&2
    status=1
  else
    tail -n 12 "bench-out/fuzz-$name.log" | grep -E "stat::number_of_executed_units|stat::peak_rss_mb|Done" >&2 || true
  fi
done
exit $status
