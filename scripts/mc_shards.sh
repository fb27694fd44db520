#!/usr/bin/env bash
# Proves that N shards of the Monte Carlo, run as N separate processes, merge to exactly the
# single-process result (same loss hash, VaR, ES). Usage: scripts/mc_shards.sh [N] [SCENARIOS]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-4}
scenarios=${2:-100000}
flags=(--scenarios "$scenarios" --seed 2024 --loans 1000)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# MC_PROFILE=debug reuses the debug build (CI); the default release build is for timings.
if [ "${MC_PROFILE:-release}" = debug ]; then
  cargo build -q -p finkit-examples --example mc_shard
  bin=target/debug/examples/mc_shard
else
  cargo build -q --release -p finkit-examples --example mc_shard
  bin=target/release/examples/mc_shard
fi
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }'; }

echo "== $n shards as $n processes (in parallel), $scenarios scenarios"
start=$(date +%s.%N)
pids=()
for k in $(seq 0 $((n - 1))); do
  "$bin" run --shard "$k" --of "$n" --out "$work/shard-$k.json" "${flags[@]}" &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
"$bin" merge "$work"/shard-*.json --out "$work/merged.json"
echo "sharded wall time: $(elapsed "$start") s"

echo "== one process"
start=$(date +%s.%N)
"$bin" single "${flags[@]}" --out "$work/single.json"
echo "single wall time: $(elapsed "$start") s"

echo "== merged"
cat "$work/merged.json"
echo "== single"
cat "$work/single.json"
if cmp -s "$work/merged.json" "$work/single.json"; then
  echo "IDENTICAL: $n shards merged == single process (byte-for-byte summary, loss hash included)"
else
  echo "DIFFERENT"
  diff "$work/merged.json" "$work/single.json" || true
  exit 1
fi
