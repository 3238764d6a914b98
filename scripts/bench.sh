#!/usr/bin/env bash
# `npm run bench`: prints side by side the engine's simulated records/s natively and in wasm
# (headless Chromium) on the same workload, the page's frame time p50/p95 at 1x and 100x with
# 6 brokers x 24 partitions x RF 3, and the gzipped wasm and JS+CSS sizes.
# Numbers, not pass/fail: record them in BENCHMARKS.md.
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
./target/release/kafka-bench storage
echo "== web build =="
bash scripts/build-web.sh >/dev/null 2>&1
echo "== wasm in headless Chromium (node bench/browser.mjs) =="
WEB="$(node bench/browser.mjs "${BENCH_SIM_MS:-60000}" "${BENCH_FRAME_SECONDS:-8}")"
echo "$WEB"
node -e '
const n = JSON.parse(process.argv[1]), w = JSON.parse(process.argv[2]);
const row = (k, a, b) => console.log(k.padEnd(34) + String(a).padStart(14) + String(b).padStart(26));
console.log("\n" + "".padEnd(34) + "native".padStart(14) + "wasm (headless Chromium)".padStart(26));
row("simulated records/s", n.records_per_sec, w.records_per_sec);
row("simulated events/s", n.events_per_sec, w.events_per_sec);
row("wasm / native", "", (w.records_per_sec / n.records_per_sec).toFixed(2) + "x");
row("trace hash (same workload?)", n.trace_hash, w.trace_hash + (n.trace_hash === w.trace_hash ? " (equal)" : " (DIFFERENT)"));
for (const s of ["1x", "100x"]) { const f = w["frame_ms_" + s]; row("frame ms p50 / p95 at " + s, "", f.p50 + " / " + f.p95 + " (" + f.frames + " frames)"); }
row("wasm gzip / raw bytes", "", w.sizes_gzip_bytes.wasm + " / " + w.sizes_gzip_bytes.wasm_raw);
const sc = w.scrub_default_10min; row("seek ms p50 / p95 / max (10 min)", "", sc.p50_ms + " / " + sc.p95_ms + " / " + sc.max_ms);
row("JS+CSS+HTML gzip bytes", "", w.sizes_gzip_bytes.js_css);
' "$NATIVE" "$WEB"
