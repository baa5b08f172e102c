#!/usr/bin/env bash
# Registers the tslab (TypeScript) Jupyter kernel so that JupyterLab, the classic Notebook, VS Code
# and `jupyter nbconvert --execute` can run the notebooks. The kernel spec points at this repo's
# own tslab (node_modules/.bin/tslab, an absolute path), so no global `npm i -g tslab` is needed.
# Safe to run again: it installs only when the spec is missing or points elsewhere.
# Usage: scripts/install-kernel.sh [--force]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3 # Debian's python, which has jupyter_client (see scripts/setup.sh)
BIN="$(pwd)/node_modules/.bin/tslab"
[ -x "$BIN" ] || { echo "install-kernel: $BIN not found; run \`npm ci\` first" >&2; exit 1; }
"$PY" -c 'import jupyter_client' 2>/dev/null || {
  echo "install-kernel: $PY has no jupyter_client; apt-get install jupyter-nbconvert python3-ipykernel" >&2; exit 1; }
current=$("$PY" - <<'PY'
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
try:
    print(KernelSpecManager().get_kernel_spec('tslab').argv[0])
except NoSuchKernel:
    print('')
PY
)
if [ "${1:-}" != "--force" ] && [ "$current" = "$BIN" ]; then
  echo "install-kernel: tslab kernel already registered ($BIN)" >&2
  exit 0
fi
echo "install-kernel: registering tslab kernel -> $BIN" >&2
"$BIN" install --python="$PY" --binary="$BIN" >&2
