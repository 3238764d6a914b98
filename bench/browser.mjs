// Browser half of `npm run bench`: in headless Chromium, the wasm engine's throughput on the
// benchmark workload (the same scenario and seed as `kafka-bench`: equal trace hashes prove it),
// the page's frame time (the callback) and frame interval (rAF to rAF) at 1x and 100x on the 6 brokers x 24
// partitions x RF 3 preset, the speed it keeps when 100x and 1000x are asked, and the gzipped sizes of what a
// visitor downloads (the files served: dist/www/ when built, see below). Prints one JSON object.
import { chromium } from 'playwright-core';
import { startServer } from '../scripts/serve.mjs';
import { distIsFresh } from '../scripts/build-js.mjs';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const simMs = Number(process.argv[2] || 60000);
const frameSeconds = Number(process.argv[3] || 8);
const gz = (f) => zlib.gzipSync(fs.readFileSync(path.join(root, f)), { level: 9 }).length;
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.round((s.length - 1) * p))] : null;
};

const server = await startServer({ root, port: 0 });
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const result = { engine: 'wasm (headless Chromium)' };
try {
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  // The page's frames as a watcher sees them: an animation-frame callback registered before the page's own
  // scripts run (so it stays the first of each frame's callbacks), noting when each frame's callbacks began
  // (performance.now()) and the frame's timestamp. Work between frames that runs past the next frame's start
  // (an engine slice) shows as a longer interval, or as a late start (start minus timestamp).
  await page.addInitScript(() => {
    const w = /** @type {any} */ (globalThis);
    w.__rafWatch = { starts: [], stamps: [] };
    const note = (ts) => {
      const r = w.__rafWatch;
      r.starts.push(performance.now()); r.stamps.push(ts);
      if (r.starts.length > 2000) { r.starts.shift(); r.stamps.shift(); }
      requestAnimationFrame(note);
    };
    requestAnimationFrame(note);
  });
  await page.goto(`${server.url}?preset=bench&seed=1&autoplay=0`);
  await page.waitForFunction(() => globalThis.__playground);
  // Three runs on fresh engines; report the fastest, as kafka-bench does.
  const runs = await page.evaluate(async (ms) => {
    const mod = await import('./pkg/kafka_playground.js');
    await mod.default(); // an instance of its own (index.html's bundle carries its own glue); once per page
    const out = [];
    for (let i = 0; i < 3; i++) {
      const scenario = mod.benchScenario();
      const p = new mod.Playground(scenario, 1);
      const t0 = performance.now();
      const events = p.advance(ms);
      const secs = (performance.now() - t0) / 1000;
      const acked = p.metrics().current.acknowledged;
      out.push({ rps: acked / secs, eps: events / secs, events, hash: p.traceHash() });
      p.free();
    }
    return out;
  }, simMs);
  const best = runs.reduce((a, b) => (b.rps > a.rps ? b : a));
  Object.assign(result, { simulated_ms: simMs, records_per_sec: Math.round(best.rps), events_per_sec: Math.round(best.eps), events: best.events, trace_hash: best.hash });

  // Time travel in wasm: a 10-minute run of the default playground (1 s chunks, a broker crashed
  // at 60 s and restarted at 90 s, like `kafka-bench scrub`), then 40 seeks to spread-out times.
  const scrub = (/** @type {boolean} */ bench) => page.evaluate(async (bench) => {
    const mod = await import('./pkg/kafka_playground.js');
    await mod.default(); // an instance of its own (index.html's bundle carries its own glue); once per page
    const p = new mod.Playground(bench ? mod.benchScenario() : undefined, 1);
    const start = p.nowMs();
    for (let s = 0; s < 600; s++) {
      if (s === 60) p.apply(JSON.stringify({ type: 'crash_broker', broker: 1 }));
      if (s === 90) p.apply(JSON.stringify({ type: 'restart_broker', broker: 1 }));
      p.advance(1000);
    }
    const end = p.nowMs();
    const lat = [];
    let x = 0x9E3779B9;
    for (let i = 0; i < (bench ? 20 : 40); i++) {
      x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
      const t = start + (x % (end - start));
      const t0 = performance.now();
      p.seek(t);
      lat.push(performance.now() - t0);
    }
    lat.sort((a, b) => a - b);
    const q = (f) => +lat[Math.round((lat.length - 1) * f)].toFixed(1);
    const tl = p.timeline();
    p.free();
    return { seeks: lat.length, p50_ms: q(0.5), p95_ms: q(0.95), max_ms: q(1), snapshots: tl.snapshots, memory_mb: Math.round(mod.wasmMemory().buffer.byteLength / 1048576) }; // linear memory never shrinks: the peak
  }, bench);
  result.scrub_default_10min = await scrub(false);
  // The same on the benchmark workload (6 brokers x 24 partitions x RF 3, 500 records/s): the
  // issue's target row, seek anywhere in a 10-minute bench-preset run.
  result.scrub_bench_10min = await scrub(true);

  // Simulated-time compression (simulated ms per wall-clock ms, checks on as the page runs them)
  // for the cluster shapes of bench/shapes.json, as `kafka-bench compression` runs them natively.
  const shapes = JSON.parse(fs.readFileSync(path.join(root, 'bench', 'shapes.json'), 'utf8'));
  result.compression = await page.evaluate(async (shapes) => {
    const mod = await import('./pkg/kafka_playground.js');
    await mod.default(); // an instance of its own (index.html's bundle carries its own glue); once per page
    return shapes.map((s) => {
      const p = new mod.Playground(JSON.stringify(s.scenario), 1);
      const t0 = performance.now();
      p.advance(s.simulated_ms);
      const ms = performance.now() - t0;
      const r = { label: s.label, compression_x: +(s.simulated_ms / ms).toFixed(1), acknowledged: p.metrics().current.acknowledged };
      p.free();
      return r;
    });
  }, shapes);

  for (const speed of [1, 100, 1000]) {
    await page.goto(`${server.url}?preset=bench&seed=1&speed=${speed}`);
    await page.waitForFunction(() => globalThis.__frameStats && globalThis.__frameStats.samples.length > 10);
    const from = await page.evaluate(() => {
      globalThis.__frameStats.samples.length = 0;
      globalThis.__rafWatch.starts.length = 0; globalThis.__rafWatch.stamps.length = 0;
      return { sim: globalThis.__playground.nowMs(), wall: performance.now() };
    });
    await page.waitForTimeout(frameSeconds * 1000);
    const stats = await page.evaluate(() => ({
      samples: globalThis.__frameStats.samples.slice(),
      sim: globalThis.__playground.nowMs(),
      wall: performance.now(),
      clock: document.querySelector('[data-testid="clock"]')?.textContent ?? '',
      starts: globalThis.__rafWatch.starts.slice(),
      stamps: globalThis.__rafWatch.stamps.slice(),
    }));
    result[`frame_ms_${speed}x`] = { p50: +pct(stats.samples, 0.5).toFixed(2), p95: +pct(stats.samples, 0.95).toFixed(2), frames: stats.samples.length };
    // rAF to rAF: the wall time between the starts of consecutive frames' callbacks (a late or skipped
    // frame makes it longer), the same between the frames' timestamps, and how late each frame's callbacks began.
    const gaps = (xs) => xs.slice(1).map((x, i) => x - xs[i]);
    const late = stats.starts.map((x, i) => x - stats.stamps[i]);
    result[`frame_interval_ms_${speed}x`] = {
      p50: +pct(gaps(stats.starts), 0.5).toFixed(2), p95: +pct(gaps(stats.starts), 0.95).toFixed(2),
      stamp_p95: +pct(gaps(stats.stamps), 0.95).toFixed(2), late_p95: +pct(late, 0.95).toFixed(2), frames: stats.starts.length,
    };
    // The speed the page actually kept: simulated ms per wall ms over the window, and what its
    // clock says ("(running at N×)" when it falls below 80 % of the speed asked for).
    result[`reached_${speed}x`] = { speed: +((stats.sim - from.sim) / (stats.wall - from.wall)).toFixed(1), clock: stats.clock };
  }
  // The same 1000x page, half a minute later: a long run must keep its speed (a view whose cost grows with the
  // run, as the client audit's did until it read only what changed, slows the page down as the run goes on).
  await page.waitForTimeout(30_000);
  const now = () => page.evaluate(() => ({ sim: globalThis.__playground.nowMs(), wall: performance.now() }));
  const a = await now();
  await page.waitForTimeout(5_000);
  const b = await now();
  result.reached_1000x_late = { speed: +((b.sim - a.sim) / (b.wall - a.wall)).toFixed(1), from_simulated_s: Math.round(a.sim / 1000) };
} finally {
  await browser.close();
  await server.close();
}
// What scripts/serve.mjs sends for /www/*.js|css: dist/www/ (bundled and minified by scripts/build-js.mjs) when
// it is built from the www/ sources as they are, else www/ itself.
const shipped = distIsFresh(root) ? 'dist/www' : 'www';
/**
 * What a page loads of the JS, CSS and HTML: the page, its stylesheets and module scripts, and every module they
 * import statically (followed through the shipped files: a URL under www/ is served from `shipped`).
 * @param {string} html the page, relative to the root
 */
function pageFiles(html) {
  const file = (/** @type {string} */ url) => (url.startsWith('www/') ? `${shipped}/${url.slice(4)}` : url);
  const text = fs.readFileSync(path.join(root, html), 'utf8');
  const urls = [...text.matchAll(/<(?:script[^>]*\bsrc|link[^>]*rel="stylesheet"[^>]*\bhref)="([^"]+)"/g)].map((m) => m[1]);
  const seen = new Set([html]);
  while (urls.length) {
    const url = /** @type {string} */ (urls.pop());
    if (seen.has(file(url))) continue;
    seen.add(file(url));
    if (!url.endsWith('.js')) continue;
    for (const m of fs.readFileSync(path.join(root, file(url)), 'utf8').matchAll(/(?:from|import)\s*"(\.\.?\/[^"]+\.js)"/g)) {
      urls.push(path.posix.normalize(path.posix.join(path.posix.dirname(url), m[1])));
    }
  }
  return [...seen].sort();
}
const indexFiles = pageFiles('index.html'), embedFiles = pageFiles('embed.html');
result.sizes_gzip_bytes = {
  wasm: gz('pkg/kafka_playground_bg.wasm'),
  wasm_raw: fs.statSync(path.join(root, 'pkg/kafka_playground_bg.wasm')).size,
  // What index.html loads (the row; until 2026-12-07 this was the sum over every shipped file, the
  // element's and embed.html's entry points included: 62 812 B then).
  index_js_css: indexFiles.reduce((n, f) => n + gz(f), 0),
  index_files: indexFiles,
  // What embed.html (the iframe form of the element) loads before the element adds its stylesheet.
  embed_js_css: embedFiles.reduce((n, f) => n + gz(f), 0),
};
console.log(JSON.stringify(result));
