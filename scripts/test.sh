#!/usr/bin/env bash
# Run every test suite that exists (entry point of `npm test` and .ci/run). Stops at the first failure.
#
#   native (always):   cargo fmt --check, cargo clippy -D warnings, cargo test --release
#   web (only when www/ and src/page/wasm.rs exist):
#                      tsc -p . (www/ type check), wasm-pack test --headless --chrome, then the release build
#                      (scripts/build-web.sh: skipped when pkg/ is up to date), tests/e2e/serving.mjs (how
#                      serve.mjs sends it, and the up-to-date skip), run.mjs, layout.mjs, picture.mjs and pace.mjs if present
#
# SWEEP_SEEDS is passed through untouched (the seed sweep test reads it); under CI it defaults to 300.
set -euo pipefail

ROOT="$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
case ":$PATH:" in *":$CARGO_BIN:"*) ;; *) export PATH="$CARGO_BIN:$PATH" ;; esac

if [ -z "${SWEEP_SEEDS+set}" ] && [ -n "${CI:-}" ] && [ "${CI}" != false ]; then
  export SWEEP_SEEDS=300
fi

stage() { echo; echo "== $* =="; }

# ------------------------------------------------------------------ native
stage "toolchain (native)"
bash scripts/ensure-toolchain.sh native

stage "cargo fmt --check"
cargo fmt --all -- --check

stage "cargo clippy"
cargo clippy --all-targets -- -D warnings

stage "native tests${SWEEP_SEEDS:+ (SWEEP_SEEDS=$SWEEP_SEEDS)}"
cargo test --release

# ------------------------------------------------------------------ web (arrives with the page)
if [ -d www ] && [ -f src/page/wasm.rs ]; then
  stage "toolchain (web)"
  bash scripts/ensure-toolchain.sh web

  # npm binaryen's wasm-opt must come first on PATH (never Debian's binaryen).
  export PATH="$ROOT/node_modules/.bin:$PATH"
  # chromedriver/Chromium leave ~13 MB per session in $TMPDIR: keep it in a scratch dir, wipe it after.
  SCRATCH="$ROOT/target/test-tmp"
  rm -rf "$SCRATCH"; mkdir -p "$SCRATCH"
  trap 'rm -rf "$SCRATCH"' EXIT

  # The page's JavaScript, type-checked on its JSDoc (tsconfig.json; under a second, no build needed).
  stage "JS type check (tsc --noEmit)"
  npm run --silent check:js

  stage "cargo clippy (wasm32)"
  cargo clippy --target wasm32-unknown-unknown --all-targets -- -D warnings

  stage "wasm browser tests (wasm-pack test --headless --chrome)"
  # Without CHROMEDRIVER the test runner looks for geckodriver first.
  # --release: the golden runs check invariants after every event, too slow unoptimized.
  TMPDIR="$SCRATCH" CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_TIMEOUT=180 wasm-pack test --headless --chrome --release

  if [ -f tests/e2e/run.mjs ]; then
    # The e2e test loads the RELEASE build (wasm-opt'd): only a real page load catches a broken
    # wasm-opt output, `wasm-pack test` never runs wasm-opt.
    stage "web release build (wasm-pack build --target web --release, unless pkg/ is up to date)"
    bash scripts/build-web.sh

    stage "serving tests (node tests/e2e/serving.mjs)"
    node tests/e2e/serving.mjs

    stage "e2e tests (node tests/e2e/run.mjs)"
    TMPDIR="$SCRATCH" node tests/e2e/run.mjs

    stage "e2e layout tests (node tests/e2e/layout.mjs)"
    TMPDIR="$SCRATCH" node tests/e2e/layout.mjs

    stage "e2e picture tests (node tests/e2e/picture.mjs)"
    TMPDIR="$SCRATCH" node tests/e2e/picture.mjs

    stage "e2e pacing tests (node tests/e2e/pace.mjs)"
    TMPDIR="$SCRATCH" node tests/e2e/pace.mjs
  fi
else
  stage "web tests skipped (no www/ + src/page/wasm.rs yet)"
fi

echo
echo "all test suites passed"
