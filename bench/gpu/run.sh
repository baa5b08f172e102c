#!/usr/bin/env bash
# The GPU check in one go, on a CUDA machine with PyTorch installed (no internet needed):
#   1. builds the torch addon against the PyTorch that python3 imports (or PRIMED_TORCH_DIR);
#   2. runs the numeric tests on the device (model parity with PyTorch fixtures, gradients,
#      losses, AdamW, methods, trainer, every torch kernel against tfjs cpu);
#   3. times the BiomedCLIP-shaped fine-tuning and PRIMED steps (batch 64, 224 px, both towers,
#      AdamW) against PyTorch on the same GPU in fp32 and TF32, and runs mini-MGTIL once there;
#   4. writes bench/results/gpu-<gpu>.json (and the test log beside it).
#
#   bash bench/gpu/run.sh [--device cuda|cuda:N|cpu] [--batch N] [--quick] [--no-mgtil] [--skip-tests]
#
# Needs node (>= 20) on PATH (or NODE=/path/to/node), g++, this checkout's node_modules (npm ci),
# and python3 with torch. `--device cpu --batch 4` runs the same check on a CPU-only machine.
set -uo pipefail
cd "$(dirname "$0")/../.."
device=cuda; batch=64; extra=(); tests=1
while [ $# -gt 0 ]; do
  case "$1" in
    --device) device=$2; shift 2 ;;
    --batch) batch=$2; shift 2 ;;
    --quick|--no-mgtil) extra+=("$1"); shift ;;
    --skip-tests) tests=0; shift ;;
    *) echo "bench/gpu/run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
NODE=${NODE:-$(command -v node || true)}
[ -n "$NODE" ] || { echo "bench/gpu/run.sh: node not found (put node >= 20 on PATH or set NODE)" >&2; exit 1; }
export PATH="$(dirname "$NODE"):$PATH"
[ -d node_modules/@tensorflow/tfjs ] || { echo "bench/gpu/run.sh: node_modules missing (npm ci, or carry it)" >&2; exit 1; }
out=bench/results
mkdir -p "$out"
status=0

echo "== build: torch addon" >&2
sh native/torch/build.sh || exit 1

if [ "$tests" = 1 ]; then
  echo "== numeric tests on the torch backend, device $device" >&2
  log="$out/gpu-tests-${device//:/-}.log"
  PRIMED_BACKEND=torch PRIMED_DEVICE=$device node --import tsx --test --test-concurrency=1 \
    test/backend-torch.test.ts test/backend-torch.e2e.ts test/model-parity.test.ts test/model-gradients.test.ts test/model-train-step.test.ts \
    test/train-losses.test.ts test/train-optimizer.test.ts test/train-trainer.test.ts test/methods-*.test.ts >"$log" 2>&1
  rc=$?
  grep -E '^# (pass|fail)' "$log" >&2
  [ $rc -eq 0 ] || { echo "numeric tests failed on $device (see $log)" >&2; status=1; }
fi

echo "== timings and mini-MGTIL on $device" >&2
node --import tsx bench/gpu/gpu-bench.ts --device "$device" --batch "$batch" "${extra[@]}" || status=1
exit $status
