#!/usr/bin/env bash
# Runs a grid of mini-MGTIL runs ONE AT A TIME (nice 10, PRIMED_THREADS=1 so results are
# bit-reproducible on the torch backend), skipping runs whose result.json is complete and
# resuming killed ones (primed evaluate resumes a run folder by itself).
#
#   bash scripts/run-grid.sh OUT_ROOT "METHODS" "ORDERS" "SEEDS" [extra primed evaluate args...]
#   e.g. bash scripts/run-grid.sh runs/grid "finetune ewc lwf zscl primed-uni primed-dyn" "I II" "42 43 44"
#
# Each run goes to OUT_ROOT/<method>-<order>-s<seed>/ with its log beside it (<...>.log).
# Summarize with scripts/summarize-runs.ts (see README "Results on mini-MGTIL").
set -u
if [ $# -lt 4 ]; then
  echo "usage: bash scripts/run-grid.sh OUT_ROOT \"METHODS\" \"ORDERS\" \"SEEDS\" [extra evaluate args]" >&2
  exit 2
fi
root=$1; methods=$2; orders=$3; seeds=$4; shift 4
mkdir -p "$root"
export PRIMED_THREADS=${PRIMED_THREADS:-1}
for order in $orders; do
  for seed in $seeds; do
    for method in $methods; do
      out="$root/$method-$order-s$seed"
      if [ -f "$out/result.json" ] && grep -q '"complete": *true' "$out/result.json"; then
        echo "skip $out (complete)"
        continue
      fi
      echo "$(date -u +%H:%M:%S) start $out"
      nice -n 10 npx primed evaluate --benchmark mini-mgtil --method "$method" --order "$order" --seed "$seed" --out "$out" "$@" >"$out.log" 2>&1
      rc=$? # before the $(date) below, which would reset $?
      echo "$(date -u +%H:%M:%S) done $out rc=$rc"
    done
  done
done
