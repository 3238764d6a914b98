#!/usr/bin/env bash
# `npm start`: build the simulator and run the quickstart scenario; once the browser page exists
# (www/ + index.html), build the wasm and serve the playground on localhost instead.
set -euo pipefail

ROOT="$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
case ":$PATH:" in *":$CARGO_BIN:"*) ;; *) export PATH="$CARGO_BIN:$PATH" ;; esac

has_page() { [ -d www ] && { [ -f www/index.html ] || [ -f index.html ]; }; }

# Build the wasm package (pkg/; nothing to do when its stamp says it is up to date) and serve the repository
# root; prints "Playground: http://localhost:PORT/".
# PORT (default 8080, next free port if busy) is read by scripts/serve.mjs.
serve_page() {
  echo "== toolchain (web) =="
  bash scripts/ensure-toolchain.sh web
  # npm binaryen's wasm-opt FIRST on PATH: without one, `wasm-pack build --release` tries to download
  # binaryen (fails here); Debian's binaryen (wasm-opt 108) produces a module that breaks at init().
  export PATH="$ROOT/node_modules/.bin:$PATH"
  echo "== wasm build (wasm-pack build --target web --release, skipped when pkg/ is up to date) =="
  bash scripts/build-web.sh
  echo "== serving $ROOT (Ctrl-C to stop) =="
  exec node scripts/serve.mjs "$ROOT"
}

if has_page; then
  serve_page   # builds the wasm engine, serves the repo root, prints "Playground: http://localhost:PORT/"
fi

# Without the page: build the scenario CLI and run the quickstart scenario.
echo "== toolchain (native) =="
bash scripts/ensure-toolchain.sh native
echo "== build (cargo build --release --bin kafka-sim) =="
cargo build --release --bin kafka-sim
echo "== run scenarios/quickstart.json =="
target/release/kafka-sim describe scenarios/quickstart.json
