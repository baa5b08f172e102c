#!/bin/sh
# Builds native/torch/build/primed_torch.node, the libtorch addon behind primed's `torch` tfjs
# backend, without downloading anything. Where libtorch comes from, first found:
#   1. PRIMED_TORCH_DIR: a PyTorch install's package folder (the one holding include/ and lib/,
#      e.g. .../site-packages/torch), or any folder laid out the same way;
#   2. the PyTorch that `python3` (then /usr/bin/python3) imports, when it ships include/ and lib/
#      (a pip or conda install; links torch_cuda when present, so CUDA works);
#   3. Debian's libtorch-dev (headers in /usr/include, libraries in /usr/lib/<triplet>; CPU only).
# The C++ ABI flag comes from torch._C._GLIBCXX_USE_CXX11_ABI when Python can tell, else 1.
# Writes build/build-info.json (what it linked). A failed build says why and exits non-zero;
# primed keeps working on the wasm backend.
set -eu
cd "$(dirname "$0")"
out=build
mkdir -p "$out"
fail() { echo "build:torch: $*" >&2; exit 1; }
command -v g++ >/dev/null || fail "g++ not found (Debian: apt-get install g++)"

py_query() { # $1 = python; prints "dir abi cuda version" of the torch it imports
  "$1" - <<'EOF' 2>/dev/null
import os, torch
print(os.path.dirname(torch.__file__), int(getattr(torch._C, "_GLIBCXX_USE_CXX11_ABI", True)), torch.version.cuda or "none", torch.__version__)
EOF
}

torch_dir=""; abi=""; cuda="none"; version=""; source=""
if [ -n "${PRIMED_TORCH_DIR:-}" ]; then
  [ -d "$PRIMED_TORCH_DIR/include" ] && [ -d "$PRIMED_TORCH_DIR/lib" ] || fail "PRIMED_TORCH_DIR=$PRIMED_TORCH_DIR has no include/ and lib/ folders (point it at the torch package folder, e.g. python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))')"
  torch_dir=$PRIMED_TORCH_DIR; source="PRIMED_TORCH_DIR"
  for py in python3 /usr/bin/python3; do
    q=$(py_query "$py" || true)
    if [ -n "$q" ] && [ "$(echo "$q" | cut -d' ' -f1)" = "$torch_dir" ]; then abi=$(echo "$q" | cut -d' ' -f2); cuda=$(echo "$q" | cut -d' ' -f3); version=$(echo "$q" | cut -d' ' -f4); break; fi
  done
else
  for py in python3 /usr/bin/python3; do
    command -v "$py" >/dev/null 2>&1 || continue
    q=$(py_query "$py" || true)
    [ -n "$q" ] || continue
    d=$(echo "$q" | cut -d' ' -f1)
    if [ -d "$d/include/ATen" ] && [ -d "$d/lib" ]; then
      torch_dir=$d; abi=$(echo "$q" | cut -d' ' -f2); cuda=$(echo "$q" | cut -d' ' -f3); version=$(echo "$q" | cut -d' ' -f4); source="$py"; break
    fi
    [ -z "$abi" ] && abi=$(echo "$q" | cut -d' ' -f2) && version=$(echo "$q" | cut -d' ' -f4)
  done
fi

if [ -n "$torch_dir" ]; then
  inc="-I$torch_dir/include -I$torch_dir/include/torch/csrc/api/include"
  libdir="$torch_dir/lib"
else
  triplet=$(gcc -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)
  [ -f /usr/include/ATen/ATen.h ] || fail "no libtorch found: set PRIMED_TORCH_DIR to a PyTorch install, install PyTorch for python3, or on Debian: apt-get install libtorch-dev"
  inc="-I/usr/include/torch/csrc/api/include"
  libdir="/usr/lib/$triplet"
  source="Debian libtorch-dev"
  [ -n "$version" ] || version=$(dpkg-query -W -f='${Version}' libtorch-dev 2>/dev/null || echo unknown)
fi
[ -f "$libdir/libtorch_cpu.so" ] || fail "$libdir has no libtorch_cpu.so"
abi=${abi:-1}

libs="-ltorch -ltorch_cpu -lc10"
with_cuda=0
if [ -f "$libdir/libtorch_cuda.so" ]; then libs="$libs -ltorch_cuda"; with_cuda=1; fi
[ -f "$libdir/libc10_cuda.so" ] && libs="$libs -lc10_cuda"

# Node-API headers: this Node's own, else the system's, else the node-api-headers package.
node_inc=""
for d in "$(dirname "$(dirname "$(command -v node 2>/dev/null || echo /usr/bin/node)")")/include/node" /usr/include/node ../../node_modules/node-api-headers/include; do
  if [ -f "$d/node_api.h" ]; then node_inc=$d; break; fi
done
[ -n "$node_inc" ] || fail "Node-API headers (node_api.h) not found"

echo "build:torch: libtorch $version from $source ($libdir), C++11 ABI $abi, CUDA $([ $with_cuda = 1 ] && echo "linked ($cuda)" || echo no)" >&2
# --no-as-needed keeps torch_cuda linked although no symbol of it is used: loading it registers CUDA.
g++ -O2 -std=c++17 -shared -fPIC -fvisibility=hidden -Wno-deprecated-declarations -D_GLIBCXX_USE_CXX11_ABI="$abi" \
  -DNODE_GYP_MODULE_NAME=primed_torch -I"$node_inc" $inc src/torch_addon.cc \
  -Wl,--no-as-needed -L"$libdir" $libs -Wl,--as-needed -Wl,-rpath,"$libdir" \
  -o "$out/primed_torch.node.tmp" || fail "compiling src/torch_addon.cc failed (see the messages above)"
mv "$out/primed_torch.node.tmp" "$out/primed_torch.node"
cat > "$out/build-info.json" <<EOF
{"libtorch": "$version", "source": "$source", "libdir": "$libdir", "cxx11Abi": $abi, "cuda": $([ $with_cuda = 1 ] && echo "\"$cuda\"" || echo null), "builtAt": "$(date -u +%Y-%m-%dT%H:%M:%SZ)"}
EOF
echo "build:torch: wrote native/torch/$out/primed_torch.node" >&2
