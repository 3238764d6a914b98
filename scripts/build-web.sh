#!/usr/bin/env bash
# Builds the browser engine: wasm-pack --target web --release into pkg/, optimized for size
# (the native release profile stays tuned for speed; these overrides apply to this build only).
set -euo pipefail
ROOT="$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# npm's binaryen wasm-opt first on PATH (never Debian's binaryen: its output fails at init()).
export PATH="$ROOT/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
CARGO_PROFILE_RELEASE_OPT_LEVEL=s \
CARGO_PROFILE_RELEASE_LTO=true \
CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 \
CARGO_PROFILE_RELEASE_PANIC=abort \
  wasm-pack build --target web --release --no-pack "$@"
