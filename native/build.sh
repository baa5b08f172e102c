#!/bin/sh
# Builds native/build/Release/primed_native.node (the optional native matmul kernels).
# Needs g++, make, Node headers and OpenBLAS with its CBLAS header (Debian: libopenblas-dev).
# Uses the system Node headers when present, so no download is needed.
set -e
cd "$(dirname "$0")"
GYP="$(dirname "$(dirname "$(command -v npm)")")/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"
[ -f "$GYP" ] || GYP="$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js"
NODEDIR=""
if [ -f /usr/include/node/node_api.h ]; then NODEDIR="--nodedir=/usr"; fi
node "$GYP" rebuild $NODEDIR
