// End-to-end test of how the frame loop (www/loop.js) paces the engine at high speeds, in real Chromium
// against the served build: between frames the engine goes on in short slices (MessageChannel tasks), and
// those must respect everything the frame's own advance respects.
//
// It checks: a guided scenario played at 1000× pauses exactly at each stop's time (the engine's nowMs() equals
// the stop's at_ms, the narration and the clock show that stop); Pause, ← (a seek) and Space stop simulated time
// at once on the benchmark cluster at 1000× (nowMs() is the same before and after several frames); two
// identical embedded playgrounds at 1000× on one page both advance, neither starved by the other's slices, and
// one scrolled off screen advances no more; at 100× every other frame draws nothing, at 1000× two in three (the
// clock, written in every drawn frame, changes in about half, a third of the frames; at 1× in every one). No assertion here is on a wall-clock duration.
import { root, check, assert, launch, finish } from './harness.mjs';
import fs from 'node:fs';
import path from 'node:path';

const { server, browser } = await launch();
const problems = [];
/** Opens `url` in a new page whose console errors and page errors count as problems. */
const openPage = async (url, label) => {
  const p = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  p.on('console', (m) => { if (m.type() === 'error') problems.push(`${label} console error: ${m.text()}`); });
  p.on('pageerror', (e) => problems.push(`${label} page error: ${e.message}`));
  await p.goto(url);
  return p;
};
/** Resolves after n animation frames of the page (time for any slice still posted to run). */
const frames = (p, n) => p.evaluate((k) => new Promise((done) => {
  const step = () => (--k <= 0 ? done(undefined) : requestAnimationFrame(step));
  requestAnimationFrame(step);
}), n);
const nowMs = (p) => p.evaluate(() => globalThis.__playground.nowMs());

try {
  await check('a guided scenario played at 1000× pauses exactly at each stop, slices between frames included', async () => {
    const file = JSON.parse(fs.readFileSync(path.join(root, 'scenarios', 'retention.json'), 'utf8'));
    const stops = file.narration;
    const p = await openPage(`${server.url}?scenario=retention&speed=1000`, 'guided page');
    const g = (id) => p.locator(`[data-testid="${id}"]`);
    await g('narration').waitFor();
    const start = (await p.evaluate(() => globalThis.__playground.timeline())).start_ms;
    for (let k = 1; k < stops.length; k++) {
      await g('narration-next').click();
      await p.waitForFunction((want) => document.querySelector('[data-testid="narration-step"]').textContent === want, `Step ${k + 1} of ${stops.length}`);
      await p.waitForFunction(() => document.querySelector('[data-testid="play"]').getAttribute('aria-pressed') === 'false');
      const at = Math.max(stops[k].at_ms, start);
      const now = await nowMs(p);
      assert(now === at, `stop ${k + 1}: now ${now}, the stop is at ${at}`);
      await frames(p, 5); // paused at the stop: nothing moves it on
      assert(await nowMs(p) === at, `stop ${k + 1}: time moved on after the pause to ${await nowMs(p)}`);
      const clock = Math.round(1000 * Number(/t\+([\d.]+)/.exec(await g('clock').textContent())[1]));
      assert(clock === at, `stop ${k + 1}: the clock reads ${clock}`);
      assert(await g('narration-title').textContent() === stops[k].title, `stop ${k + 1} title`);
    }
    assert(problems.length === 0, problems.join('\n'));
    await p.close();
  });

  await check('Pause, ← and Space stop simulated time at once on the benchmark cluster at 1000×', async () => {
    const p = await openPage(`${server.url}?preset=bench&seed=1&speed=1000`, 'bench page');
    await p.waitForFunction(() => globalThis.__playground && globalThis.__playground.nowMs() > 2000);
    /** Runs `act` in the page (in one task, so no slice runs between it and the first reading), then reads nowMs again after several frames. */
    const stillAfter = async (what, act) => {
      await p.waitForFunction((t0) => globalThis.__playground.nowMs() > t0 + 500, await nowMs(p)); // playing on
      const [a, b, pressed] = await p.evaluate(async (a) => {
        const pg = globalThis.__playground;
        if (a === 'pause') /** @type {HTMLElement} */ (document.querySelector('[data-testid="play"]')).click();
        else document.body.dispatchEvent(new KeyboardEvent('keydown', { key: a === 'back' ? 'ArrowLeft' : ' ', bubbles: true, cancelable: true }));
        const t = pg.nowMs();
        for (let i = 0; i < 10; i++) await new Promise((r) => requestAnimationFrame(r));
        await new Promise((r) => setTimeout(r, 50)); // and any task posted before
        return [t, pg.nowMs(), document.querySelector('[data-testid="play"]').getAttribute('aria-pressed')];
      }, what);
      assert(pressed === 'false', `${what}: still playing`);
      assert(a === b, `${what}: simulated time went on from ${a} to ${b}`);
    };
    await stillAfter('pause', null);
    await p.locator('[data-testid="play"]').click(); // play again
    await stillAfter('back', null);
    await p.locator('[data-testid="play"]').click();
    await stillAfter('space', null);
    assert(problems.length === 0, problems.join('\n'));
    await p.close();
  });

  await check('two embedded playgrounds at 1000× share the time between frames; one off screen does nothing', async () => {
    const p = await openPage(`${server.url}www/examples/docs-page.html`, 'docs page');
    // The docs page's own embeds go; two identical heavy ones take the top of the window, a third waits far below.
    await p.evaluate(() => {
      for (const e of document.querySelectorAll('kafka-playground')) e.remove();
      const box = document.createElement('div');
      box.style.cssText = 'position: fixed; inset: 0; display: grid; grid-template-columns: 1fr 1fr; background: white; z-index: 10';
      for (let i = 0; i < 2; i++) {
        const e = document.createElement('kafka-playground');
        for (const [k, v] of Object.entries({ brokers: '6', partitions: '24', 'replication-factor': '3', seed: '1', speed: '1000', height: '600px' })) e.setAttribute(k, v);
        box.append(e);
      }
      document.body.append(box);
      const far = document.createElement('kafka-playground');
      far.setAttribute('speed', '1000'); far.setAttribute('seed', '1');
      far.style.cssText = 'display: block; margin-top: 6000px';
      document.body.append(far);
    });
    const times = () => p.evaluate(() => [...document.querySelectorAll('kafka-playground')].map((e) => /** @type {any} */ (e).playground?.nowMs() ?? -1));
    await p.waitForFunction(() => [...document.querySelectorAll('kafka-playground')].slice(0, 2).every((e) => /** @type {any} */ (e).playground?.nowMs() > 1000));
    const a = await times();
    await frames(p, 120);
    const b = await times();
    const d0 = b[0] - a[0], d1 = b[1] - a[1];
    assert(d0 > 0 && d1 > 0, `both advance: ${d0} and ${d1} simulated ms`);
    // The same cluster, the same speed: each gets a fair share of the main thread, not one nearly all of it.
    assert(Math.min(d0, d1) >= 0.4 * Math.max(d0, d1), `one starves the other: ${d0} against ${d1} simulated ms`);
    assert(b[2] === a[2], `the embed off screen advanced from ${a[2]} to ${b[2]}`);
    assert(problems.length === 0, problems.join('\n'));
    await p.close();
  });

  await check('at 100× every other frame only runs the engine, at 1000× two in three; at 1× every frame draws', async () => {
    /** Frames, and changes of the clock (written in every frame that draws), over 90 frames. */
    const count = (p) => p.evaluate(() => new Promise((done) => {
      const clock = /** @type {Element} */ (document.querySelector('[data-testid="clock"]'));
      let changes = 0, n = 0;
      const mo = new MutationObserver((m) => { changes += m.length; });
      mo.observe(clock, { childList: true, characterData: true, subtree: true });
      const step = () => { if (++n < 90) requestAnimationFrame(step); else { mo.disconnect(); done([n, changes]); } };
      requestAnimationFrame(step);
    }));
    for (const [speed, lo, hi] of [[1, 0.9, 1.01], [100, 0.35, 0.65], [1000, 0.2, 0.45]]) {
      const p = await openPage(`${server.url}?preset=bench&seed=1&speed=${speed}`, `${speed}x page`);
      await p.waitForFunction(() => globalThis.__playground?.nowMs() > 500);
      const [n, changes] = await count(p);
      assert(changes >= lo * n && changes <= hi * n, `at ${speed}× the clock changed in ${changes} of ${n} frames`);
      await p.close();
    }
    assert(problems.length === 0, problems.join('\n'));
  });
} finally {
  await browser.close();
  await server.close();
}
finish();
