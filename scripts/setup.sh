#!/usr/bin/env bash
# Sets up a fresh Debian/Ubuntu machine for primed: the Debian packages the tests, notebooks and
# benchmarks use (libtorch for the torch backend, PyTorch, faiss and hnswlib as oracles and peers, Jupyter's nbconvert + ipykernel for
# the tslab kernel, Chromium for rendering figures, GNU time for the end-to-end benchmark), then
# the npm packages from the lockfile.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
debs="python3-torch libtorch-dev g++ python3-faiss python3-hnswlib python3-numpy jupyter-nbconvert jupyter-notebook python3-ipykernel chromium libopenblas-dev time"
missing=""
for p in $debs; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo"; else SUDO="none"; fi
  if [ "$SUDO" = "none" ]; then
    echo "setup: missing Debian packages:$missing (install them as root); continuing with npm" >&2
  else
    echo "setup: apt-get install$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -q >/dev/null
    $SUDO apt-get install -y -q $missing >/dev/null
  fi
fi
echo "setup: npm ci" >&2
npm ci --no-audit --no-fund 2>&1 | grep -v 'Unknown user config' | tail -3
test -d node_modules/@tensorflow/tfjs || { echo "setup: npm ci failed" >&2; exit 1; }
# The optional native matmul kernels (OpenBLAS); without them primed runs on plain wasm.
if [ -f /usr/include/x86_64-linux-gnu/cblas.h ] || [ -f /usr/include/cblas.h ] || ls /usr/include/*/cblas.h >/dev/null 2>&1; then
  echo "setup: building native kernels (npm run build:native)" >&2
  npm run -s build:native >/tmp/primed-native-build.log 2>&1 || echo "setup: native kernels not built (see /tmp/primed-native-build.log); continuing with wasm" >&2
fi
# The torch backend (libtorch through our addon): Debian's libtorch-dev here, or the PyTorch that
# python3 imports / PRIMED_TORCH_DIR names (with CUDA on a GPU host). Without it: wasm.
echo "setup: building the torch backend (npm run build:torch)" >&2
npm run -s build:torch >/tmp/primed-torch-build.log 2>&1 || echo "setup: torch backend not built (see /tmp/primed-torch-build.log); continuing with wasm" >&2
echo "setup: done ($(npx --no-install primed doctor 2>/dev/null | head -1))" >&2
