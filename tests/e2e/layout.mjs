// End-to-end test of the page's layout and drawing in real Chromium (Debian's /usr/bin/chromium via
// playwright-core), against the release build served as users get it (scripts/serve.mjs).
//
// It checks: for every guided scenario in scenarios/index.json and every stop (played stop to stop
// with the page's Next button), at 1366×768 the narration card and every target the stop looks at
// (broker headers, the controller, partitions, replicas, consumers: the boxes the page lays over
// the canvas; panels: in the dock beside the picture) are inside the viewport together; the same at
// 700×800 for a sample of scenarios; rack names are never clipped in the broker headers; a link cut
// or a broker crashed while paused is drawn at once, and while playing at 10× every frame draws the
// cuts in force at that frame (the canvas's data-cuts says what it drew); the event log shows
// errors (NOT_ENOUGH_REPLICAS) and elections by default but not every successful produce; the
// self-sizing iframe on the docs page (embed.html posts its height) has no inner scrollbar.
// Screenshots go to test-results/layout-*.png.
import { root, outDir, check, assert, launch, finish } from './harness.mjs';
import fs from 'node:fs';
import path from 'node:path';

for (const f of fs.readdirSync(outDir)) if (/^layout-.*-FAILED\.png$/.test(f)) fs.rmSync(path.join(outDir, f)); // an earlier run's

const { server, browser } = await launch();

const index = JSON.parse(fs.readFileSync(path.join(root, 'scenarios', 'index.json'), 'utf8'))
  .filter((x) => fs.existsSync(path.join(root, 'scenarios', `${x.file}.json`)));

/** A page with console errors collected. */
async function newPage(viewport) {
  const page = await browser.newPage({ viewport });
  page.problems = [];
  page.on('console', (m) => { if (m.type() === 'error') page.problems.push(`console error: ${m.text()}`); });
  page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
  return page;
}

/** Two animation frames: whatever a click asked for has been drawn. */
const frames = (page, n = 2) => page.evaluate((k) => new Promise((res) => {
  const f = () => (k-- <= 0 ? res() : requestAnimationFrame(f));
  requestAnimationFrame(f);
}), n);

/**
 * In the page: what is off screen now. The narration card must be wholly in the viewport; each
 * look_at target (data-look-target) must be on screen: its box clipped by the boxes that scroll
 * it (a panel in the dock scrolls inside) lies within the viewport and shows at least 40 px of it
 * in each direction (all of it when smaller). Returns a list of problems (empty: all on screen).
 */
function offScreenNow() {
  const W = innerWidth, H = innerHeight, out = [];
  const narr = document.querySelector('[data-testid="narration"]');
  const n = narr.getBoundingClientRect();
  if (n.top < -1 || n.left < -1 || n.bottom > H + 1 || n.right > W + 1 || n.height < 20) out.push(`narration at ${Math.round(n.top)}..${Math.round(n.bottom)}`);
  const names = (narr.dataset.look || '').split(' ').filter(Boolean);
  for (const name of names) {
    const els = [...document.querySelectorAll('[data-look-target]')].filter((e) => e.dataset.lookTarget === name);
    if (!els.length) { out.push(`${name}: no element`); continue; }
    const e = els[0];
    const r = e.getBoundingClientRect();
    let x0 = r.left, y0 = r.top, x1 = r.right, y1 = r.bottom;
    for (let a = e.parentElement; a; a = a.parentElement) {
      const cs = getComputedStyle(a);
      if (cs.overflowX === 'visible' && cs.overflowY === 'visible') continue;
      const b = a.getBoundingClientRect();
      if (cs.overflowX !== 'visible') { x0 = Math.max(x0, b.left); x1 = Math.min(x1, b.right); }
      if (cs.overflowY !== 'visible') { y0 = Math.max(y0, b.top); y1 = Math.min(y1, b.bottom); }
    }
    const shownW = x1 - x0, shownH = y1 - y0;
    const inside = x0 >= -1 && y0 >= -1 && x1 <= W + 1 && y1 <= H + 1;
    const enough = shownW >= Math.min(r.width, 40) - 1 && shownH >= Math.min(r.height, 40) - 1;
    if (!inside || !enough) out.push(`${name}: box ${Math.round(r.left)},${Math.round(r.top)} ${Math.round(r.width)}×${Math.round(r.height)}, on screen ${Math.round(x0)},${Math.round(y0)}..${Math.round(x1)},${Math.round(y1)}`);
    // Nothing in a target hides sideways (a table whose buttons scroll out of a narrow panel).
    for (const w of e.querySelectorAll('.twrap')) {
      if (!w.hidden && w.scrollWidth > w.clientWidth + 1) out.push(`${name}: a table scrolls sideways (${w.scrollWidth} px in ${w.clientWidth} px)`);
    }
  }
  return out;
}

/**
 * Opens scenario `file` and plays it stop to stop with the Next button; at each stop waits (up to
 * 2 s: the page may scroll smoothly) until the narration and every target are on screen.
 * Returns [problems], and saves a screenshot of the stop with the most targets.
 */
async function walkScenario(page, file, tag) {
  const stops = JSON.parse(fs.readFileSync(path.join(root, 'scenarios', `${file}.json`), 'utf8')).narration || [];
  const problems = [];
  await page.goto(`${server.url}?scenario=${file}&speed=1000`);
  await page.waitForFunction(() => globalThis.__playground && document.querySelector('[data-testid="narration-step"]')?.textContent);
  const stepText = () => page.locator('[data-testid="narration-step"]').textContent();
  let best = -1, bestN = -1;
  for (let k = 0; k < stops.length; k++) {
    if (k > 0) {
      const want = `Step ${k + 1} of ${stops.length}`;
      await page.locator('[data-testid="narration-next"]').click();
      try {
        await page.waitForFunction((w) => document.querySelector('[data-testid="narration-step"]').textContent === w, want, { timeout: 1500 });
      } catch {
        await page.locator('[data-testid="narration-next"]').click(); // still on the way: Skip
        await page.waitForFunction((w) => document.querySelector('[data-testid="narration-step"]').textContent === w, want, { timeout: 10000 });
      }
      // Paused at the stop (Next plays up to it and pauses there).
      await page.waitForFunction(() => document.querySelector('[data-testid="play"]').getAttribute('aria-pressed') === 'false', null, { timeout: 10000 });
    }
    let bad = [];
    for (let i = 0; i < 20; i++) {
      bad = await page.evaluate(offScreenNow);
      if (!bad.length) break;
      await page.waitForTimeout(100);
    }
    if (bad.length) problems.push(`${file} ${tag} ${await stepText()}: ${bad.join('; ')}`);
    const n = (stops[k].look_at || []).length;
    if (n > bestN) { bestN = n; best = k; }
    if (k === best && bad.length === 0) await page.screenshot({ path: path.join(outDir, `layout-${tag}-${file}.png`) });
    else if (bad.length) await page.screenshot({ path: path.join(outDir, `layout-${tag}-${file}-stop${k + 1}-FAILED.png`) });
  }
  return problems;
}

try {
  // ---------------------------------------------------------------- guided stops on screen
  const wide = await newPage({ width: 1366, height: 768 });
  await check(`1366×768: every stop of every guided scenario (${index.length}) shows the narration and all its targets together`, async () => {
    const problems = [];
    for (const x of index) problems.push(...await walkScenario(wide, x.file, '1366'));
    assert(problems.length === 0, `${problems.length} stop(s) with something off screen:\n${problems.join('\n')}`);
    assert(wide.problems.length === 0, wide.problems.join('\n'));
  });

  await check('1366×768: rack names fit in the broker headers (rack-loss, six brokers)', async () => {
    await wide.goto(`${server.url}?scenario=rack-loss`);
    await wide.waitForFunction(() => document.querySelectorAll('.broker-head .rack').length === 6);
    await frames(wide);
    const clipped = await wide.locator('.broker-head').evaluateAll((bs) => bs.filter((b) => {
      const r = b.querySelector('.rack');
      const rr = r.getBoundingClientRect(), br = b.getBoundingClientRect();
      return b.scrollWidth > b.clientWidth + 1 || b.scrollHeight > b.clientHeight + 1 || rr.right > br.right - 2 || rr.bottom > br.bottom - 1.5 || !r.textContent.includes('az-');
    }).map((b) => b.dataset.testid));
    assert(clipped.length === 0, `clipped headers: ${clipped}`);
    await wide.evaluate(() => { globalThis.__playground.apply(JSON.stringify({ type: 'crash_broker', broker: 1 })); globalThis.__advance(100); });
    await frames(wide);
    const lines = await wide.locator('.broker-head .bline').evaluateAll((ls) => ls.filter((l) => l.getBoundingClientRect().right > l.closest('.broker-head').getBoundingClientRect().right - 2).length);
    assert(lines === 0, `${lines} header line(s) cut off after a crash`);
  });

  const narrow = await newPage({ width: 700, height: 800 });
  const sample = ['rack-loss', 'segment-rolling', 'consumer-group-rebalance', 'controller-failover', 'acks-1-leader-failure'].filter((f) => index.some((x) => x.file === f));
  await check(`700×800: every stop of ${sample.join(', ')} shows the narration and all its targets together`, async () => {
    const problems = [];
    for (const f of sample) problems.push(...await walkScenario(narrow, f, '700'));
    assert(problems.length === 0, `${problems.length} stop(s) with something off screen:\n${problems.join('\n')}`);
    const noSideways = await narrow.evaluate(() => document.documentElement.scrollWidth <= innerWidth);
    assert(noSideways, 'the page scrolls sideways at 700 px');
    assert(narrow.problems.length === 0, narrow.problems.join('\n'));
  });

  await check('700×800: rack names fit in the broker headers', async () => {
    await narrow.goto(`${server.url}?scenario=rack-loss`);
    await narrow.waitForFunction(() => document.querySelectorAll('.broker-head .rack').length === 6);
    await frames(narrow);
    const clipped = await narrow.locator('.broker-head').evaluateAll((bs) => bs.filter((b) => {
      const r = b.querySelector('.rack');
      const rr = r.getBoundingClientRect(), br = b.getBoundingClientRect();
      return b.scrollWidth > b.clientWidth + 1 || b.scrollHeight > b.clientHeight + 1 || rr.right > br.right - 2 || rr.bottom > br.bottom - 1.5 || !r.textContent.includes('az-');
    }).map((b) => b.dataset.testid));
    assert(clipped.length === 0, `clipped headers: ${clipped}`);
    // Crashed (the longer "restart…" line beside the rack): still no clipping.
    await narrow.evaluate(() => { globalThis.__playground.apply(JSON.stringify({ type: 'crash_broker', broker: 1 })); globalThis.__advance(100); });
    await frames(narrow);
    const lines = await narrow.locator('.broker-head .bline').evaluateAll((ls) => ls.filter((l) => l.getBoundingClientRect().right > l.closest('.broker-head').getBoundingClientRect().right - 2 || l.scrollWidth > l.clientWidth + 1).length);
    assert(lines === 0, `${lines} header line(s) cut off after a crash`);
    await narrow.screenshot({ path: path.join(outDir, 'layout-700-rack-loss-start.png') });
  });

  // ---------------------------------------------------------------- drawn at once
  const page = wide;
  const byId = (id) => page.locator(`[data-testid="${id}"]`);
  const drawnCuts = () => page.locator('#canvas').getAttribute('data-cuts');
  await check('paused: a link cut, a heal and a crash are drawn at once (no played frame needed)', async () => {
    await page.goto(`${server.url}?seed=42&autoplay=0`);
    await page.waitForFunction(() => globalThis.__playground && document.querySelector('[data-testid="partition-orders-0"][data-leader]'));
    await page.evaluate(() => globalThis.__advance(2000));
    await frames(page);
    assert(await byId('play').getAttribute('aria-pressed') === 'false', 'not paused');
    const clock = await byId('clock').textContent();
    assert(!(await drawnCuts()), `cuts drawn before: ${await drawnCuts()}`);
    await byId('cut-from').selectOption('broker-1');
    await byId('cut-to').selectOption('broker-2');
    await byId('cut').click();
    await frames(page);
    const cuts = (await drawnCuts()).split(' ');
    assert(cuts.includes('broker-1>broker-2') && cuts.includes('broker-2>broker-1'), `drawn cuts after cut: ${cuts}`);
    assert(await byId('clock').textContent() === clock, 'time moved');
    await page.locator('.cluster').screenshot({ path: path.join(outDir, 'layout-cut-while-paused.png') });
    await byId('heal-all').click();
    await frames(page);
    assert(!(await drawnCuts()), `drawn cuts after heal all: ${await drawnCuts()}`);
    await byId('broker-3').click();
    await byId('broker-3-crash').click();
    await frames(page);
    assert(await byId('broker-3').getAttribute('data-status') === 'crashed', 'crash not drawn');
    assert(await byId('clock').textContent() === clock, 'time moved');
  });

  await check('at 10×: every frame draws the cuts in force at that frame (scenario cuts and heals included)', async () => {
    // acks-1-leader-failure cuts the leader's replies a few seconds in, then kills it; jepsen-2013 partitions and heals.
    for (const file of ['acks-1-leader-failure', 'jepsen-2013']) {
      await page.goto(`${server.url}?scenario=${file}&speed=10&autoplay=1`);
      await page.waitForFunction(() => globalThis.__playground);
      const r = await page.evaluate(() => new Promise((res) => {
        const canvas = document.querySelector('#canvas');
        let n = 0, bad = 0, changes = 0, last = null, first = '';
        const f = () => {
          // Runs after the page's frame (its callback was asked for first): compare what it drew with the engine.
          const want = globalThis.__playground.configs().network.cuts.map(([a, b]) => `${a}>${b}`).join(' ');
          const drawn = canvas.dataset.cuts || '';
          if (n > 0 && drawn !== want) { bad++; if (!first) first = `t=${globalThis.__playground.nowMs()} drawn "${drawn}" engine "${want}"`; }
          if (last !== null && want !== last) changes++;
          last = want;
          if (++n < 240 && globalThis.__playground.nowMs() < 40000) requestAnimationFrame(f); else res({ n, bad, changes, first });
        };
        requestAnimationFrame(() => requestAnimationFrame(f));
      }));
      assert(r.bad === 0, `${file}: ${r.bad} of ${r.n} frames drew stale cuts (${r.first})`);
      assert(r.changes > 0, `${file}: no cut or heal happened during the ${r.n} frames checked`);
    }
  });

  // ---------------------------------------------------------------- event log defaults
  await check('the event log shows errors and elections by default, not every successful produce', async () => {
    await page.goto(`${server.url}?scenario=min-insync-replicas&autoplay=0`);
    await page.waitForFunction(() => globalThis.__playground);
    assert(await byId('filter-produce').isChecked() === false, 'produce lines are on by default');
    assert(await byId('filter-errors').isChecked() === true, 'the errors filter is off by default');
    assert(await byId('filter-election').isChecked() === true, 'elections are off by default');
    await page.evaluate(() => globalThis.__advance(60000));
    await page.waitForTimeout(400);
    const events = await page.evaluate(() => globalThis.__playground.eventsSince(0, 100000));
    assert(events.some((e) => e.category === 'produce' && /NOT_ENOUGH_REPLICAS/.test(e.message)), 'the scenario logged no NOT_ENOUGH_REPLICAS');
    const log = await byId('event-log').textContent();
    assert(log.includes('NOT_ENOUGH_REPLICAS'), 'no NOT_ENOUGH_REPLICAS line in the event log');
    assert(/becomes leader/.test(log), 'no election line in the event log');
    assert(!/appends \d+ record/.test(log), 'successful produce lines are shown by default');
    assert(await page.locator('#log .ev.ev-error').count() > 0, 'error lines are not marked');
    await byId('filter-errors').uncheck();
    assert(!(await byId('event-log').textContent()).includes('NOT_ENOUGH_REPLICAS'), 'errors filter off still shows them');
    await byId('filter-errors').check();
  });

  // ---------------------------------------------------------------- self-sizing iframe
  await check('the docs page iframe sizes itself (postMessage with its id): no inner scrollbar, also after its narration moves on', async () => {
    const docs = await newPage({ width: 1366, height: 900 });
    await docs.addInitScript(() => {
      if (window.top === window) addEventListener('message', (e) => { (globalThis.__heights ||= []).push(e.data); });
    });
    await docs.goto(`${server.url}www/examples/docs-page.html`);
    const iframe = docs.locator('iframe.pg-frame');
    await iframe.scrollIntoViewIfNeeded();
    await docs.waitForFunction(() => (globalThis.__heights || []).some((m) => m && m.type === 'kafka-playground:height'), null, { timeout: 20000 });
    const inner = () => docs.frames().find((f) => f.url().includes('embed.html'));
    await inner().waitForFunction(() => document.querySelector('kafka-playground')?.shadowRoot.querySelector('canvas'));
    const fits = async () => {
      for (let i = 0; i < 30; i++) {
        const [sh, ch] = await inner().evaluate(() => [document.documentElement.scrollHeight, document.documentElement.clientHeight]);
        const box = await inner().evaluate(() => { const k = document.querySelector('kafka-playground').shadowRoot.querySelector('.kp'); return [k.scrollHeight, k.clientHeight]; });
        if (sh <= ch && box[0] <= box[1] + 1) return [sh, ch, box];
        await docs.waitForTimeout(100);
      }
      throw new Error('the iframe scrolls inside');
    };
    await fits();
    // The host page applies each message as it comes; a message can arrive between reading the
    // messages and reading the iframe's height: compare the two read together, a few times.
    let msgs = [], h = 0;
    for (let i = 0; i < 20; i++) {
      [msgs, h] = await docs.evaluate(() => [globalThis.__heights.filter((m) => m && m.type === 'kafka-playground:height'), document.querySelector('iframe.pg-frame').getBoundingClientRect().height]);
      if (Math.abs(h - msgs[msgs.length - 1].height) <= 1) break;
      await docs.waitForTimeout(100);
    }
    assert(msgs.every((m) => m.id === 'min-isr') && msgs[msgs.length - 1].height > 200, `messages: ${JSON.stringify(msgs)}`);
    assert(Math.abs(h - msgs[msgs.length - 1].height) <= 1, `iframe ${h} px, asked ${msgs[msgs.length - 1].height}`);
    // The narration moves on (another text, maybe another height): still no inner scrollbar.
    const frame = docs.frameLocator('iframe.pg-frame');
    await frame.locator('kafka-playground [data-testid="narration-next"]').click();
    await frame.locator('kafka-playground [data-testid="narration-next"]').click();
    await docs.waitForTimeout(500);
    await fits();
    await iframe.screenshot({ path: path.join(outDir, 'layout-docs-iframe.png') });
    assert(docs.problems.length === 0, docs.problems.join('\n'));
    await docs.close();
  });
} finally {
  await browser.close();
  await server.close();
}

finish();
