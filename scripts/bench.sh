#!/usr/bin/env bash
# `npm run bench`: run the benchmark binary if there is one.
set -euo pipefail

ROOT="$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
case ":$PATH:" in *":$CARGO_BIN:"*) ;; *) export PATH="$CARGO_BIN:$PATH" ;; esac

if [ -f src/bin/kafka-bench.rs ]; then
  echo "== bench (cargo run --release --bin kafka-bench) =="
  cargo run --release --bin kafka-bench -- "$@"
else
  echo "No benchmark exists yet (src/bin/kafka-bench.rs is missing); nothing to run."
fi
