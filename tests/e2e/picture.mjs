// End-to-end test of what the picture teaches, in real Chromium at 1366×768 (Debian's
// /usr/bin/chromium via playwright-core, the release build, the strict CSP of scripts/serve.mjs):
// (a) RF 3, min.insync.replicas=2: kill two brokers → the producer card under the picture shows
//     NOT_ENOUGH_REPLICAS with the broker's reason, inside the viewport, when Kafka would;
// (c) a cut follower shows a replica.lag.time.max.ms countdown that reaches zero before it
//     leaves the ISR;
// (d) unclean election: the lost acknowledged offsets are drawn as labelled ghosts;
// (e) compaction: the keys of the records kept and removed read beside the picture (Log segments);
// (f) the minimal embed shows the producer error too;
// (g) a few records fill the strip, and a cell's tooltip is the whole record.
// Screenshots go to test-results/picture-*.png. Ends with "N passed, M failed".
import { outDir, check, assert, launch, finish } from './harness.mjs';
import path from 'node:path';

const { server, browser } = await launch();
const problems = [];
const VIEW = { width: 1366, height: 768 };

async function open(url) {
  const page = await browser.newPage({ viewport: VIEW });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
  await page.goto(`${server.url}${url}`);
  await page.waitForFunction(() => globalThis.__playground && document.querySelector('[data-testid="producer-card"]'));
  return page;
}
const advance = (page, ms) => page.evaluate((m) => { globalThis.__advance(m); }, ms);
/** Is the element's box inside the viewport? */
const inView = (page, sel) => page.evaluate((s) => {
  const r = document.querySelector(s)?.getBoundingClientRect();
  return !!r && r.width > 0 && r.top >= 0 && r.bottom <= innerHeight && r.left >= 0 && r.right <= innerWidth;
}, sel);
const scrollCardIntoView = (page) => page.evaluate(() => {
  document.querySelector('[data-testid="live-strip"]').scrollIntoView({ block: 'nearest' });
});

try {
  await check('(a) two of three brokers killed: NOT_ENOUGH_REPLICAS and its reason on the producer card, in view, when Kafka would', async () => {
    // Kafka's timeline (RF 3, min.insync.replicas=2, acks=all, retries=MAX, request.timeout.ms=30000,
    // max.in.flight.requests.per.connection=5, broker.session.timeout.ms=9000): broker 3 dies at 5 s,
    // broker 2 at 20 s; the controller fences broker 2 at 29 s and the ISR becomes [1]. Writes the
    // leader appended before that wait for a high watermark that cannot move under min ISR
    // (KAFKA-15583) and fail with REQUEST_TIMED_OUT after request.timeout.ms (~50 s), holding the
    // connection's 5 in-flight slots until then; the retries are refused with NOT_ENOUGH_REPLICAS.
    // So the first NOT_ENOUGH_REPLICAS comes ~31-34 s after the second kill: by 55 s.
    const page = await open('?seed=7&autoplay=0');
    await advance(page, 5000);
    await page.evaluate(() => globalThis.__playground.apply(JSON.stringify({ type: 'crash_broker', broker: 3 })));
    await advance(page, 15000);
    await page.evaluate(() => globalThis.__playground.apply(JSON.stringify({ type: 'crash_broker', broker: 2 })));
    // While the writes wait, the timers say what the cluster is waiting for.
    await advance(page, 12000);
    await page.waitForTimeout(400);
    const timers = await page.locator('[data-testid="timers"]').textContent();
    assert(/REQUEST_TIMED_OUT in/.test(timers), `no waiting-write countdown: ${timers}`);
    let t = 32000;
    let err = '';
    while (t < 55000) {
      await advance(page, 1000);
      t += 1000;
      await page.waitForTimeout(150); // the card redraws on the next UI tick
      err = await page.evaluate(() => document.querySelector('[data-testid="producer-error"]').dataset.errors);
      if (err.split(',').includes('NOT_ENOUGH_REPLICAS')) break;
    }
    await page.waitForTimeout(400);
    assert(err.split(',').includes('NOT_ENOUGH_REPLICAS'), `producer card lists ${err} at ${t} ms`);
    const text = await page.locator('[data-testid="producer-error"]').textContent();
    assert(text.includes('ISR [1] is smaller than min.insync.replicas=2'), text);
    await scrollCardIntoView(page);
    assert(await inView(page, '[data-testid="producer-error"]'), 'the producer card is not in the viewport');
    await page.screenshot({ path: path.join(outDir, 'picture-not-enough-replicas.png') });
    await page.close();
  });

  await check('(g) few records fill the strip, and hovering a cell shows the whole record (offset, epoch, key, value, batch, segment)', async () => {
    const page = await open('?seed=7&autoplay=0');
    await advance(page, 1500);
    await page.waitForTimeout(300);
    const box = await page.locator('canvas').first().boundingBox();
    let title = '';
    // Scan the first broker column's strips for a cell.
    outer: for (let y = 40; y < Math.min(box.height, 400); y += 6) {
      for (let x = 0.15; x < 0.4; x += 0.02) {
        await page.mouse.move(box.x + box.width * x, box.y + y);
        title = await page.evaluate(() => document.querySelector('canvas').title || '');
        if (/^offset \d+ · leader epoch/.test(title)) break outer;
      }
    }
    assert(/^offset \d+ · leader epoch \d+ · key "[^"]+" · value "[^"]+"/.test(title), `no record tooltip: ${title.slice(0, 200)}`);
    assert(/segment \d{20}\.log/.test(title) && /batch from offset \d+/.test(title), title);
    await page.screenshot({ path: path.join(outDir, 'picture-readable-cells.png') });
    await page.close();
  });

  await check('(c) a cut follower shows a countdown that reaches zero when it leaves the ISR', async () => {
    const page = await open('?seed=3&autoplay=0');
    await advance(page, 2000);
    const tp = await page.evaluate(() => {
      const el = document.querySelector('[data-testid="partition-orders-0"]');
      return { leader: el.dataset.leader, isr: el.dataset.isr };
    });
    const follower = tp.isr.split(',').find((b) => b !== tp.leader);
    await page.evaluate(([a, b]) => globalThis.__playground.apply(JSON.stringify({ type: 'cut_link', from: `broker-${a}`, to: `broker-${b}` })), [tp.leader, follower]);
    const key = `f:orders-0:${follower}`;
    let sawRunning = false, sawZero = false;
    for (let i = 0; i < 40; i++) {
      await advance(page, 500);
      await page.waitForTimeout(300);
      const st = await page.evaluate((k) => {
        const li = document.querySelector(`[data-testid="timers"] li[data-key="${k}"]`);
        const isr = document.querySelector('[data-testid="partition-orders-0"]').dataset.isr;
        const rep = document.querySelector(`[data-testid="replica-orders-0-${k.split(':')[2]}"]`);
        return { left: li ? Number(li.dataset.remainingMs) : null, isr, said: rep ? rep.textContent : '' };
      }, key);
      if (st.left !== null && st.left > 0) {
        sawRunning = true;
        // A screen reader hears the same clock, on the follower's own item.
        assert(/^broker \d+: follower in the ISR.*leaves the ISR (in \d+\.\d s|at the leader's next check)/.test(st.said), `accessible name of the cut follower: ${st.said}`);
      }
      if (st.left === 0 && !sawZero) {
        sawZero = true;
        await scrollCardIntoView(page);
        await page.screenshot({ path: path.join(outDir, 'picture-lag-zero.png') });
      }
      if (!st.isr.split(',').includes(follower)) break;
      if (st.left !== null && st.left > 0 && st.left < 6000) {
        await scrollCardIntoView(page);
        await page.screenshot({ path: path.join(outDir, 'picture-lag-countdown.png') });
      }
    }
    const isr = await page.evaluate(() => document.querySelector('[data-testid="partition-orders-0"]').dataset.isr);
    assert(sawRunning, 'no running replica.lag.time.max.ms countdown was shown');
    assert(sawZero, 'the countdown never reached zero');
    assert(!isr.split(',').includes(follower), `broker ${follower} still in the ISR ${isr}`);
    await page.close();
  });

  await check('(d) unclean election: the lost acknowledged offsets are drawn as labelled ghosts', async () => {
    const page = await open('?scenario=unclean-leader-election&autoplay=0');
    await advance(page, 45000);
    await page.waitForTimeout(500);
    const ghosts = await page.evaluate(() => document.getElementById('canvas').dataset.ghosts || '');
    assert(/lost after ack: offsets 3–7/.test(ghosts), `ghosts: ${ghosts}`);
    const inv = await page.evaluate(() => globalThis.__playground.invariants());
    assert(!inv.ok && inv.lost_acknowledged_writes === 5, JSON.stringify(inv).slice(0, 200));
    await page.screenshot({ path: path.join(outDir, 'picture-ghosts.png') });
    // The live strip names them and its button hides them (the guided layout keeps the row out of the way).
    const said = await page.locator('[data-testid="ghosts"]').textContent();
    assert(said.includes('lost after ack: offsets 3–7'), `ghost row: ${said}`);
    await page.evaluate(() => document.querySelector('[data-testid="dismiss-ghosts"]').click());
    await page.waitForTimeout(400);
    const after = await page.evaluate(() => document.getElementById('canvas').dataset.ghosts || '');
    assert(after === '', `ghosts after dismissing: ${after}`);
    await page.close();
  });

  await check('(e) compaction: the keys of the records kept and removed are readable beside the picture', async () => {
    // The guided compaction scenario, stop 7 ("The tombstone is removed"): the cleaner's third pass
    // removed the banana tombstone (18), cherry-5 (17) and cherry-new-0..4 (19–23); the log keeps
    // apple-5 at 5 and cherry-new-5 at 24 in its clean segment, the apple-new records in the active one.
    const page = await open('?scenario=compaction&speed=1000');
    const next = page.locator('[data-testid="narration-next"]');
    for (let i = 1; i < 7; i++) {
      await next.click();
      await page.waitForFunction(() => !document.querySelector('[data-testid="narration-next"]').disabled &&
        document.querySelector('[data-testid="play"]')?.getAttribute('aria-pressed') !== 'true', null, { timeout: 20000 });
    }
    await page.waitForTimeout(600);
    const seen = await page.evaluate(() => {
      const box = (e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.top >= 0 && r.bottom <= innerHeight && r.left >= 0 && r.right <= innerWidth; };
      const list = document.querySelector('[data-testid="segments"]');
      const segs = [...list.querySelectorAll('li.seg')].map((li) => ({
        file: li.dataset.file, active: li.classList.contains('seg-active'), inView: box(li),
        chips: [...li.querySelectorAll('.rec')].map((c) => ({ text: c.textContent, inView: box(c) })),
      }));
      const cleaning = document.querySelector('[data-testid="last-cleaning"]');
      return { segs, cleaning: cleaning?.textContent || '', cleaningInView: !!cleaning && box(cleaning), step: document.querySelector('[data-testid="narration-title"]')?.textContent || '' };
    });
    const [clean, active] = seen.segs;
    assert(seen.segs.length === 2, `segments: ${JSON.stringify(seen.segs)}`);
    assert(clean.file === '00000000000000000000.log' && !clean.active && active.file === '00000000000000000025.log' && active.active, JSON.stringify(seen.segs.map((s) => [s.file, s.active])));
    const texts = (s) => s.chips.map((c) => c.text);
    for (const want of ['5 apple=apple-5', '✂ 6–23', '24 cherry=cherry-new-5']) assert(texts(clean).includes(want), `clean segment chips ${JSON.stringify(texts(clean))} lack ${want}`);
    assert(texts(active).join(' ') === '25 apple=apple-new-0 26 apple=apple-new-1 27 apple=apple-new-2 28 apple=apple-new-3 29 apple=apple-new-4 30 apple=apple-new-5', JSON.stringify(texts(active)));
    assert(/cherry ×6 \(17, 19–23\)/.test(seen.cleaning) && /✕ banana tombstone \(18\)/.test(seen.cleaning), `last cleaning: ${seen.cleaning}`);
    assert(seen.cleaningInView && seen.segs.every((s) => s.inView && s.chips.every((c) => c.inView)), 'the segments and their records are not all in the viewport');
    await page.screenshot({ path: path.join(outDir, 'picture-compaction.png') });
    await page.close();
  });

  await check('(f) the minimal embed shows the producer error', async () => {
    // min.insync.replicas=3 with replication factor 3 (the leader needs every replica in the ISR):
    // crash a broker from its header menu and the embed's producer card shows NOT_ENOUGH_REPLICAS.
    const page = await browser.newPage({ viewport: VIEW });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    await page.goto(`${server.url}embed.html?controls=minimal&min-insync-replicas=3&speed=100&seed=5`);
    const host = page.locator('kafka-playground');
    await host.locator('[data-testid="broker-3"]').waitFor();
    await host.locator('[data-testid="broker-3"]').click();
    await host.locator('[data-testid="broker-3-crash"]').click();
    const q = () => page.evaluate(() => {
      const e = document.querySelector('kafka-playground').shadowRoot.querySelector('[data-testid="producer-error"]');
      return e ? { text: e.textContent, error: e.dataset.error || '' } : null;
    });
    let err = null;
    for (let i = 0; i < 80 && !(err && err.error === 'NOT_ENOUGH_REPLICAS'); i++) {
      await page.waitForTimeout(250);
      err = await q();
    }
    assert(err && err.error === 'NOT_ENOUGH_REPLICAS', `minimal embed shows ${JSON.stringify(err)}`);
    assert(err.text.includes('is smaller than min.insync.replicas=3'), err.text);
    await page.screenshot({ path: path.join(outDir, 'picture-embed-error.png') });
    await page.close();
  });

  await check('no page errors', async () => { assert(problems.length === 0, problems.join('\n')); });
} finally {
  await browser.close();
  await server.close();
}
finish();
