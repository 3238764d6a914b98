// `npm run bench`'s table: each figure of this run beside the one recorded in BENCHMARKS.md and
// their ratio, so a regression shows the moment it is measured. Numbers, never pass/fail.
//
//   node bench/compare.mjs NATIVE_JSON WEB_JSON STORAGE_JSON [COMPRESSION_JSONL] [BENCHMARKS.md]
//
// COMPRESSION_JSONL: `kafka-bench compression`'s lines (one JSON object per cluster shape).
//
// The recorded figures are read from BENCHMARKS.md's "Results" block (the table this script
// printed, pasted there) and its storage line: only the first three columns of the table (the
// measure, native, wasm) are read, so a pasted table with the recorded columns reads the same.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const [nativeJson, webJson, storageJson, compressionJsonl = '', mdPath = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'BENCHMARKS.md')] =
  process.argv.slice(2);
const n = JSON.parse(nativeJson), w = JSON.parse(webJson), st = JSON.parse(storageJson);

const LABEL = 34, NATIVE = 14, WASM = 26;

/** The recorded table: label → [native text, wasm text]; the recorded storage figures. */
export function recorded(md) {
  const rows = new Map();
  const block = /```\n\$ npm run bench\n([\s\S]*?)```/.exec(md);
  for (const line of (block ? block[1] : '').split('\n')) {
    const label = line.slice(0, LABEL).trim();
    if (label) rows.set(label, [line.slice(LABEL, LABEL + NATIVE).trim(), line.slice(LABEL + NATIVE, LABEL + NATIVE + WASM).trim(), line]);
  }
  const storage = /\n(\{"storage":true[^\n]*\})\n/.exec(md);
  return { rows, storage: storage ? JSON.parse(storage[1]) : null };
}

const md = fs.existsSync(mdPath) ? fs.readFileSync(mdPath, 'utf8') : '';
const rec = recorded(md);
/** The numbers in a cell ("4.7 / 8 (480 frames)" → [4.7, 8, 480]). */
const nums = (/** @type {string} */ s) => (s.match(/\d+(?:\.\d+)?/g) || []).map(Number);
/** now / recorded of the figure at `k` in each cell (k: which number), e.g. "1.04x". */
const ratio = (now, was, k = 0) => {
  const a = nums(String(now))[k], b = nums(String(was))[k];
  return a === undefined || b === undefined || b === 0 ? '' : `${(a / b).toFixed(2)}x`;
};

const rows = [];
/** A measure: this run's native and wasm cells, and which number of the cell the ratio compares. */
const row = (label, native, wasm, k = 0) => {
  const [rn, rw] = rec.rows.get(label) || ['', ''];
  const was = [rn, rw].filter(Boolean).join(' | ');
  const r = [native !== '' && rn ? ratio(native, rn, k) : '', wasm !== '' && rw ? ratio(wasm, rw, k) : ''].filter(Boolean).join(' | ');
  rows.push([label, String(native), String(wasm), was, r]);
};
row('simulated records/s', n.records_per_sec, w.records_per_sec);
row('simulated events/s', n.events_per_sec, w.events_per_sec);
row('wasm / native', '', `${(w.records_per_sec / n.records_per_sec).toFixed(2)}x`);
row('trace hash (same workload?)', n.trace_hash, w.trace_hash + (n.trace_hash === w.trace_hash ? ' (equal)' : ' (DIFFERENT)'), -1);
{ // a hash is wider than its column: read it from the whole recorded line
  const r = /** @type {string[]} */ (rows[rows.length - 1]);
  const line = rec.rows.get(r[0])?.[2] || '';
  const was = /[0-9a-f]{16}/.exec(line.slice(LABEL))?.[0];
  r[3] = was || '';
  r[4] = !was ? '' : was === n.trace_hash ? 'same workload' : 'CHANGED: the workload ran differently (a behaviour change, or a new bench scenario)';
}
for (const s of ['1x', '100x']) {
  const f = w[`frame_ms_${s}`];
  row(`frame ms p50 / p95 at ${s}`, '', `${f.p50} / ${f.p95} (${f.frames} frames)`, 1); // the ratio compares p95
}
for (const s of ['1x', '100x']) {
  const f = w[`frame_interval_ms_${s}`];
  if (f) row(`rAF interval ms p50 / p95 at ${s}`, '', `${f.p50} / ${f.p95}`, 1); // the ratio compares p95
}
for (const s of ['100x', '1000x']) {
  const r = w[`reached_${s}`];
  if (r) row(`speed reached when ${s} is asked`, '', `${r.speed}x`);
}
if (w.reached_1000x_late) row('speed kept at 1000x ~40 s into the run', '', `${w.reached_1000x_late.speed}x`);
row('wasm gzip / raw bytes', '', `${w.sizes_gzip_bytes.wasm} / ${w.sizes_gzip_bytes.wasm_raw}`);
const sc = w.scrub_default_10min;
row('seek ms p50 / p95 / max (10 min)', '', `${sc.p50_ms} / ${sc.p95_ms} / ${sc.max_ms}`, 1);
const sb = w.scrub_bench_10min;
if (sb) {
  row('bench-preset seek ms p50/p95/max', '', `${sb.p50_ms} / ${sb.p95_ms} / ${sb.max_ms}`, 1);
  row('bench 10 min: snapshots / wasm MB', '', `${sb.snapshots} / ${sb.memory_mb}`, 1);
}
row('JS+CSS+HTML gzip, what index.html loads', '', w.sizes_gzip_bytes.index_js_css);
row('JS+CSS+HTML gzip, what embed.html loads', '', w.sizes_gzip_bytes.embed_js_css);
// Simulated-time compression (simulated ms per wall ms) per cluster shape, native and wasm.
const comp = compressionJsonl.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
for (const c of comp) {
  const wc = (w.compression || []).find((x) => x.label === c.label);
  row(c.label, `${c.compression_x}x`, wc ? `${wc.compression_x}x` : '');
}
const rs = rec.storage || {};
row('storage appends/s', st.appends_per_sec, '');
row('storage cleaned records/s', st.cleaned_records_per_sec, '');
// The storage rows read their recorded figures from the storage line, not the table.
for (const [label, key] of [['storage appends/s', 'appends_per_sec'], ['storage cleaned records/s', 'cleaned_records_per_sec']]) {
  const r = rows.find((x) => x[0] === label);
  if (r && rs[key]) { r[3] = String(rs[key]); r[4] = ratio(st[key], rs[key]); }
}

const out = [`\n${''.padEnd(LABEL)}${'native'.padStart(NATIVE)}${'wasm (headless Chromium)'.padStart(WASM)}   recorded (BENCHMARKS.md)   now / recorded`];
for (const [label, native, wasm, was, r] of rows) {
  out.push(`${label.padEnd(LABEL)}${native.padStart(NATIVE)}${wasm.padStart(WASM)}   ${was.padEnd(26)} ${r}`.trimEnd());
}
if (!rec.rows.size) out.push('(no recorded figures found in BENCHMARKS.md: its "$ npm run bench" block is missing)');
out.push('Ratios compare this run with a run on another day: the machine is noisy (2 cores); compare figures within one run.');
console.log(out.join('\n'));
