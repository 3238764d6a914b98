// `node bench/main-thread.mjs [speed]`: where the page's main thread goes on the bench preset (default 100×): a
// Chrome CPU profile of 5 s after 4 s of warm-up, split into the engine (wasm), the page's JS, the browser's own
// work ("(program)": style, layout, painting, compositing), the garbage collector and idle, plus the speed kept.
// The engine's share is then split by the page's call into it (advance, audit, frame, …): a view whose
// cost grows with the run shows here. Numbers, not pass/fail; run it with nothing else running (needs the
// web build: scripts/build-web.sh).
import { launch } from '../tests/e2e/harness.mjs';
const { server, browser } = await launch();
const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
await page.goto(`${server.url}?preset=bench&seed=1&speed=${process.argv[2] || 100}`);
await page.waitForFunction(() => globalThis.__playground);
await page.waitForTimeout(4000);
const cdp = await page.context().newCDPSession(page);
await cdp.send('Profiler.enable');
await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
await cdp.send('Profiler.start');
const a = await page.evaluate(() => [globalThis.__playground.nowMs(), performance.now()]);
await page.waitForTimeout(5000);
const b = await page.evaluate(() => [globalThis.__playground.nowMs(), performance.now()]);
const { profile } = await cdp.send('Profiler.stop');
console.log('speed', ((b[0] - a[0]) / (b[1] - a[1])).toFixed(1));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
const dt = profile.timeDeltas; let total = 0;
profile.samples.forEach((id, i) => { const n = byId.get(id); const d = dt[i] || 0; total += d; const f = n.callFrame; const url = f.url.split('/').pop(); const key = f.url.includes('.wasm') || url.includes('wasm') ? 'WASM' : (f.functionName || '(anon)') + ' ' + url; self.set(key, (self.get(key) || 0) + d); });
// group
const groups = new Map();
for (const [k, v] of self) { let g = k.startsWith('WASM') ? 'wasm' : k.startsWith('(idle)') ? 'idle' : k.startsWith('(program)') ? 'program(browser)' : k.startsWith('(garbage collector)') ? 'gc' : 'js'; groups.set(g, (groups.get(g) || 0) + v); }
for (const [g, v] of groups) console.log(g.padEnd(20), (100 * v / total).toFixed(1) + '%');
console.log('--- top js');
[...self].filter(([k]) => !k.startsWith('WASM')).sort((x, y) => y[1] - x[1]).slice(0, 25).forEach(([k, v]) => console.log((100 * v / total).toFixed(1).padStart(5), k));
// The engine's time by the page's call into it: walk up from each wasm sample to the first JS frame (the
// glue's method: advance, audit, frame, …).
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n.id);
const isWasm = (n) => n.callFrame.url.includes('.wasm') || n.callFrame.functionName.startsWith('wasm-function');
const byCall = new Map();
profile.samples.forEach((id, i) => {
  let n = byId.get(id);
  if (!isWasm(n)) return;
  while (n && isWasm(n)) n = byId.get(parent.get(n.id));
  const k = n ? n.callFrame.functionName || '(anon)' : '?';
  byCall.set(k, (byCall.get(k) || 0) + (dt[i] || 0));
});
console.log('--- wasm by call');
[...byCall].sort((x, y) => y[1] - x[1]).slice(0, 12).forEach(([k, v]) => console.log((100 * v / total).toFixed(1).padStart(5), k));
await browser.close(); await server.close();
