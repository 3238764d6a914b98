#!/usr/bin/env bash
# `npm run bench`: prints side by side the engine's simulated records/s natively and in wasm
# (headless Chromium) on the same workload, the page's frame time p50/p95 at 1x and 100x with
# 6 brokers x 24 partitions x RF 3, and the gzipped wasm and JS+CSS sizes.
# Numbers, not pass/fail: beside each, the figure recorded in BENCHMARKS.md and the ratio
# (bench/compare.mjs); record the new ones there (paste the table) on the final commit.
set -euo pipefail
ROOT="$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/ensure-toolchain.sh web
export PATH="$ROOT/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
echo "== native (cargo run --release --bin kafka-bench) =="
cargo build --release --bin kafka-bench -q
NATIVE="$(./target/release/kafka-bench "${BENCH_SIM_MS:-60000}")"
echo "$NATIVE"
echo "== storage: appends, retention memory, cleaning (kafka-bench storage) =="
STORAGE="$(./target/release/kafka-bench storage)"
echo "$STORAGE"
echo "== simulated-time compression per cluster shape (kafka-bench compression) =="
COMPRESSION="$(./target/release/kafka-bench compression)"
echo "$COMPRESSION"
echo "== web build =="
bash scripts/build-web.sh >/dev/null 2>&1
echo "== wasm in headless Chromium (node bench/browser.mjs) =="
WEB="$(node bench/browser.mjs "${BENCH_SIM_MS:-60000}" "${BENCH_FRAME_SECONDS:-8}")"
echo "$WEB"
node bench/compare.mjs "$NATIVE" "$WEB" "$STORAGE" "$COMPRESSION"
