// @ts-check
// The frame loop of one playground instance: every animation frame advances simulated time within a
// budget (speed, playing, pausing at a guided stop), reads the engine's frame (numbers in wasm
// memory) and draws the cluster view, and a few times a second reads the text views (gatherTexts)
// and updates the panels (applyTexts). Also the time controls (Play, step, +1 s, speed, the keys)
// and time travel (the scrubber: seek, fork, undo), which change what the loop shows.
// Between frames, while playing, the engine goes on in short slices (macrotasks posted through a
// MessageChannel) until shortly before the next frame is due, so that a fast speed uses the main thread's
// idle time and not only the frame's engine budget; the frame reads and draws what they advanced.
// createPlayground (app.js) makes it with the instance's parts and the shared RunState; no frame runs
// and no slice advances while the instance is stopped, paused, off screen, or its engine dead.
import { el } from './dom.js';
import { updateDescribe, fmtT } from './panels.js';
import { TimeTravel, describeCommand } from './timetravel.js';

/** @typedef {import('./guide-controller.js').GuideController} GuideController */
/** @typedef {import('./controls.js').Controls} Controls */
/** @typedef {import('./panels.js').EventLog} EventLog */
/** @typedef {import('./panels.js').MetricsPanel} MetricsPanel */
/** @typedef {import('./panels.js').AuditPanel} AuditPanel */
/** @typedef {import('./groups.js').ConsumerPanel} ConsumerPanel */
/** @typedef {import('./reassign.js').ReassignPanel} ReassignPanel */
/** @typedef {import('./panels.js').SegmentsList} SegmentsList */

const UI_MS = 250; // DOM text panels: at most 4 updates per second
const METRICS_MS = 500; // metrics() copies the whole history: twice per second
const AUDIT_MS = 1000; // audit() re-reads every send and every consumed record: once per second
/** Engine time per frame (ms): when the engine cannot keep up with the asked speed it runs slower. */
const ENGINE_BUDGET_MS = 2.5;
// At this asked speed or faster, every other frame only advances the engine and draws nothing
// (a message crosses a link in microseconds of real time there: 30 pictures a second show all
// there is to see), so the time the browser spends painting goes to the engine; at
// THIRD_RATE_SPEED, two frames in three.
const HALF_RATE_SPEED = 100;
const THIRD_RATE_SPEED = 1000;
/** Asked time not advanced by the frames and slices that had it (wall ms at the asked speed) that later ones may
 * make up; beyond it the page runs slower than asked. Measured at `?preset=bench`, 100× asked (tmp/long.mjs):
 * dropping it at once kept 78–85×, carrying one frame's worth 90–94×, three frames' 94–98×, 100 ms 84–100× over
 * two runs (1000× asked: 100–113×; the machine is noisy). */
const CARRY_MS = 100;
/** Engine time per slice between frames (ms): a click or a key waits at most one slice. */
const SLICE_MS = 3;
/** Kept free before the next frame is due (ms), at least: a slice's estimate may fall a little short. */
const SLICE_MARGIN_MS = 1;
/** Recent intervals between frames whose median is the frame period; recent slices whose overruns give the margin. */
const GAP_SAMPLES = 9, OVERRUN_SAMPLES = 30;

/**
 * The page's frames as the loops of all its playgrounds see them. Several instances on one page (docs
 * embeds) share the main thread, so they share the time between frames too: each tick notes the frame's
 * timestamp, and every instance's slices stop at the one deadline this gives (sliceDeadline). Their slices
 * take turns: each instance posts its next slice after its last one ran, so the messages of two instances
 * alternate and neither starves the other.
 */
const pageFrames = {
  /** The newest frame's rAF timestamp (ms, performance.now()'s clock). */
  ts: 0,
  /** The frame period (ms): the median of the recent intervals between frames (60 Hz, 120 Hz, throttled). */
  period: 1000 / 60,
  /** @type {number[]} recent intervals between frames while playing, newest last */
  gaps: [],
  /** @type {number[]} how far recent slices ran past the time they were given (ms, 0 when they did not) */
  overruns: [],
  /** Kept free before the next frame (ms): SLICE_MARGIN_MS, or the slices' recent p90 overrun when larger. */
  margin: SLICE_MARGIN_MS,
};

/**
 * A tick ran in the frame of timestamp ts. gap: the interval since the frame before, when this instance
 * played through both (0 after an idle spell, which says nothing about the period).
 * @param {number} ts @param {number} gap
 */
function noteFrame(ts, gap) {
  const f = pageFrames;
  if (ts === f.ts) return; // another instance's tick in the same frame
  if (gap > 0 && gap < 250) {
    f.gaps.push(gap);
    if (f.gaps.length > GAP_SAMPLES) f.gaps.shift();
    f.period = quantile(f.gaps, 0.5); // a frame skipped now and then does not move the median
  }
  f.ts = ts;
}

/**
 * A slice given `room` ms took `took` ms. On a busy machine (other processes on the cores) a slice is
 * preempted and runs over by more than the estimates allow; the margin before the next frame grows with it,
 * so the frames keep their time and the slices get less.
 * @param {number} room @param {number} took
 */
function noteSlice(room, took) {
  const f = pageFrames;
  f.overruns.push(Math.max(0, took - room));
  if (f.overruns.length > OVERRUN_SAMPLES) f.overruns.shift();
  f.margin = Math.max(SLICE_MARGIN_MS, quantile(f.overruns, 0.9));
}

/**
 * When the slices between frames stop (performance.now()'s clock): the next frame is due one period after
 * the last one began, and its callbacks must then find the main thread free; the margin covers a slice that
 * runs over its estimate (noteSlice). What the next frame's ticks take is not subtracted: they start when the
 * frame is due and the browser's deadline for that frame's picture is a period later, so that time is not
 * the slices' to keep free (measured on the bench preset, whose ticks take 5–10 ms: subtracting it left
 * the slices almost nothing, and the frames came no sooner for it).
 */
function sliceDeadline() {
  return pageFrames.ts + pageFrames.period - pageFrames.margin;
}

/** The q-quantile of xs (nearest rank; xs is not changed). @param {number[]} xs @param {number} q */
function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.round((s.length - 1) * q))] : 0;
}

/**
 * @typedef {object} LoopParts What the loop works with (createPlayground's parts).
 * @property {HTMLElement} mount the instance's root (the keys' target without opts.keyTarget; watched for visibility)
 * @property {{speed?: number, keyTarget?: EventTarget, frameStats?: FrameStats | null}} opts createPlayground's options
 * @property {boolean} full
 * @property {import('./dom-build.js').Dom} dom
 * @property {PlaygroundApi} pg
 * @property {() => WebAssembly.Memory} wasmMemory
 * @property {number[]} speeds the speeds offered (the engine's limits, src/page/presets.rs)
 * @property {RunState} S
 * @property {App} app
 * @property {import('./render.js').ClusterView} view
 * @property {() => ControllerQuorumView | null} readQuorum the quorum view when there is one
 * @property {MediaQueryList} reducedMotion
 * @property {<T>(fn: () => T) => T | undefined} safely an engine call; an exception is shown and pauses
 * @property {<E extends Event>(target: EventTarget, type: string, fn: (e: E) => void, o?: AddEventListenerOptions) => void} listen addEventListener until stop()
 * @property {(() => void)[]} cleanups run by stop()
 * @property {{controls: Controls | null, log: EventLog | null, inv: import('./panels.js').InvariantsPanel, metrics: MetricsPanel | null,
 *   summary: import('./panels.js').PartitionSummary, live: import('./live.js').LiveStrip, segments: SegmentsList | null,
 *   audit: AuditPanel | null, group: ConsumerPanel | null, reassign: ReassignPanel | null}} panels the text panels applyTexts updates (null: not in the minimal view)
 */

/**
 * The frame loop and the time controls of one instance. Nothing runs until the first schedule();
 * attachGuide(guide) before it (the guide controller is made after the loop: the loop pauses at its stops).
 * @param {LoopParts} parts
 */
export function createLoop(parts) {
  const { mount, opts, full, dom, pg, wasmMemory, speeds: SPEED_LIST, S, app, view, readQuorum, reducedMotion, safely, listen, cleanups } = parts;
  const { controls, log, inv, metrics, summary, live, segments, audit, group, reassign } = parts.panels;
  let speed = opts.speed ?? 1;
  /** @type {TimeTravel | null} */
  let tt = null; // the time-travel controls (made with the time controls below)
  /** @type {GuideController} */
  let guide; // attachGuide(), before the first frame

  // Views into wasm memory; re-created every frame (readFrame() before any use).
  let frame = /** @type {Float64Array} */ (/** @type {unknown} */ (null)), tails = /** @type {Int32Array} */ (/** @type {unknown} */ (null));
  function readFrame() {
    const ptr = pg.frame();
    const mem = wasmMemory().buffer;
    frame = new Float64Array(mem, ptr, pg.frameLen());
    tails = new Int32Array(mem, pg.tailsPtr(), pg.tailsLen());
  }

  function loadStructure() {
    const s = pg.structure();
    app.structure = s;
    app.idx = indexMaps(s.layout);
    view.setQuorum(readQuorum());
    view.setStructure(s, app.idx);
    summary.setStructure(s);
    controls?.setStructure(s);
    reassign?.setStructure(s);
    S.dirty = true; S.forceUi = true;
    if (guide.stopK >= 0) guide.applyLook(false); // the broker headers are new elements
  }

  /** @param {number} id */
  function brokerStatus(id) {
    readFrame();
    const s = /** @type {Structure} */ (app.structure), L = s.layout;
    const i = s.brokers.findIndex((b) => b.id === id);
    return L.broker_status_codes[frame[L.broker_offset + i * L.broker_stride + /** @type {IndexMaps} */ (app.idx).b.status]] || 'unknown';
  }

  // ---------------------------------------------------------------- time controls
  const playBtn = dom.play, speedSel = dom.speed, clock = dom.clock;
  const SPEEDS = SPEED_LIST.map(String);
  const speeds = SPEEDS.includes(String(speed)) ? SPEEDS : [...SPEEDS, String(speed)].sort((a, b) => Number(a) - Number(b));
  speedSel.replaceChildren(...speeds.map((v) => { const o = el('option', '', `${v}×`); o.value = v; return o; }));
  speedSel.value = String(speed);
  listen(speedSel, 'change', () => { speed = Number(speedSel.value); effective = speed; simWin = speed * wallWin; });
  /** @param {boolean} on */
  function setPlaying(on) {
    S.playing = on;
    endSlicing(); // paused: no slice advances any more; playing again: the next tick starts them over
    playBtn.setAttribute('aria-pressed', String(on));
    playBtn.replaceChildren(el('span', `ico ico-${on ? 'pause' : 'play'}`), on ? 'Pause' : 'Play');
    lastTs = 0;
    S.dirty = true; // a frame even when paused: the narration's Next follows
    schedule();
  }
  listen(playBtn, 'click', () => setPlaying(!S.playing));
  const stepEvent = () => { setPlaying(false); safely(() => pg.step()); app.changed(); };
  const advanceBy = (/** @type {number} */ ms) => { if (S.stopped) return; safely(() => pg.advance(ms)); app.changed(); };
  listen(dom.step, 'click', stepEvent);
  if (dom.plus100) listen(dom.plus100, 'click', () => advanceBy(100));
  listen(dom.plus1s, 'click', () => advanceBy(1000));
  if (dom.plus10s) listen(dom.plus10s, 'click', () => advanceBy(10000));

  // Space / →: page-wide on the main page, within the instance for an embed.
  const keyTarget = opts.keyTarget || mount;
  if (!opts.keyTarget) mount.tabIndex = -1; // a click inside gives the instance the keyboard
  listen(keyTarget, 'keydown', (/** @type {KeyboardEvent} */ e) => {
    if (e.altKey || e.ctrlKey || e.metaKey || e.defaultPrevented || S.stopped) return;
    const t = /** @type {HTMLElement} */ (e.target);
    const typing = t instanceof HTMLInputElement || t instanceof HTMLSelectElement || t instanceof HTMLTextAreaElement || t.isContentEditable;
    if (e.key === ' ' && !typing && !(t instanceof HTMLButtonElement) && !(t instanceof HTMLAnchorElement) && !(t instanceof HTMLElement && t.closest('summary'))) {
      e.preventDefault();
      setPlaying(!S.playing);
    } else if (e.key === 'ArrowRight' && !typing && !t.closest?.('.menu, .picker, .export')) {
      e.preventDefault();
      stepEvent();
    } else if (e.key === 'ArrowLeft' && !typing && !t.closest?.('.menu, .picker, .export')) {
      e.preventDefault();
      seekTo(pg.nowMs() - 1000); // back 1 s (the run is recorded: play continues it)
    }
  });

  // ---------------------------------------------------------------- time travel
  // The engine records the run (ops + snapshots): seek() goes anywhere in it, playing from the
  // past replays what was recorded, and a command, a step or Fork there discards the rest.
  let tl = safely(() => pg.timeline()) ?? { start_ms: 0, end_ms: 0, now_ms: 0, at_end: true, commands: [] };
  const startMs = tl.start_ms;
  /** @type {number | null} */
  let pendingSeek = null; // the scrubber's newest position, applied on the next animation frame
  tt = new TimeTravel({
    full,
    on: {
      seek(t) { setPlaying(false); pendingSeek = t; S.dirty = true; schedule(); },
      fork() { safely(() => pg.fork()); jumped(); },
      live() { seekTo(tl.end_ms); },
      undo() {
        const u = safely(() => pg.undo());
        const tt1 = /** @type {TimeTravel} */ (tt);
        if (u === undefined) { tt1.say('Nothing to undo'); app.changed(); return; }
        /** @type {unknown} */
        let c = u;
        try { c = JSON.parse(u); } catch { /* shown as is */ }
        tt1.say(`Undid ${describeCommand(c)}`);
        setPlaying(false);
        jumped();
      },
    },
  });
  dom.timebar.insertBefore(tt.root, dom.clock);
  if (tt.note) dom.timebar.insertBefore(tt.note, dom.clock);
  if (tt.past) dom.timebar.append(tt.past);

  /** Goes to simulated time t (clamped to the recorded run) and pauses there. @param {number} t */
  function seekTo(t) {
    if (S.stopped || S.dead) return;
    setPlaying(false);
    safely(() => pg.seek(Math.max(startMs, t)));
    jumped();
  }

  // Wall ms per simulated ms; of reading the text views; of updating the panels. A UI tick's
  // panels wait for the next frame while playing (pendingTexts), so no frame does both.
  let msCost = 0.05, uiCost = 2, domCost = 2, auxCost = 2;
  /** @type {{texts: Texts | null, quorum: ControllerQuorumView | null} | null} */
  let pendingTexts = null;
  /** Time jumped (seek, fork, undo): start the views over from the engine's state. */
  function jumped() {
    if (S.stopped || S.dead) return;
    endSlicing();
    acc = 0;
    pendingTexts = null; // read before the jump
    loadStructure();
    readFrame();
    const end = frame[/** @type {IndexMaps} */ (app.idx).h.event_seq_end];
    eventSeq = Math.max(0, end - 500);
    log?.reset();
    lastViolations = -1;
    tl = safely(() => pg.timeline()) ?? tl;
    /** @type {TimeTravel} */ (tt).update(tl);
    app.changed();
  }

  // ---------------------------------------------------------------- the loop
  let lastTs = 0, acc = 0, lastUi = -1e9, lastMetrics = -1e9, lastAudit = -1e9, skipped = 0;
  let effective = speed; // simulated ms per real ms actually achieved (smoothed; starts at the asked speed)
  // Simulated ms advanced and wall ms passed, each summed over the recent frames with decaying weights:
  // effective is their ratio, steady although the slices advance much in one frame and little in the next.
  // They start (and restart with a new speed) as 100 ms at the asked speed, so one slow frame says little.
  let wallWin = 100, simWin = speed * wallWin;
  let eventSeq = 0, lastViolations = -1, lastLost = -1;
  const hdr = { end: 0, violations: 0, lost: 0 }; // from the last frame's header
  let raf = 0, visible = true;

  /** Asks for a frame when the instance runs: started, on screen, engine alive. */
  function schedule() {
    if (!raf && visible && !S.stopped && !S.dead) raf = requestAnimationFrame(tick);
  }

  /**
   * How far the engine may go now: the whole simulated ms of the backlog the asked speed allows (acc), cut
   * at a guided scenario's next stop (stopMs, or -1), where playing pauses. The tick and the slices between
   * frames both ask it, so neither runs past the speed or a stop.
   * @returns {{whole: number, stopMs: number}}
   */
  function allowance() {
    let whole = Math.floor(acc), stopMs = -1;
    if (guide.stepping) {
      const now0 = pg.nowMs(), i = guide.stopAfter(now0);
      if (i >= 0) {
        stopMs = guide.stopTime(i);
        if (whole >= stopMs - now0) { whole = stopMs - now0; acc = whole; }
      }
    }
    return { whole, stopMs };
  }

  /**
   * Advances the engine by what allowance() gives, within `budget` wall ms counted from t0, and pauses at a
   * guided stop reached (then the next frame reads the views: S.forceUi). Returns the simulated ms advanced.
   * @param {number} t0 @param {number} budget
   */
  function advanceWithin(t0, budget) {
    let { whole, stopMs } = allowance();
    // Pieces sized by what a simulated ms costs lately (≤ 10 ms each), so that the last one
    // ends near the budget instead of overshooting it.
    let done = 0;
    for (let left = budget; whole > 0 && left > 0 && S.playing && !S.dead; left = budget - (performance.now() - t0)) {
      const n = Math.min(whole, 10, Math.max(1, Math.floor((0.7 * left) / msCost)));
      const a = performance.now();
      safely(() => pg.advance(n)); // an error pauses (S.playing false): nothing more is advanced
      const c = Math.max(0.001, (performance.now() - a) / n); // rises fast, falls slowly: few overshoots
      msCost = c > msCost ? msCost * 0.4 + c * 0.6 : msCost * 0.9 + c * 0.1;
      whole -= n; acc -= n; done += n;
    }
    if (stopMs >= 0 && !S.dead && pg.nowMs() >= stopMs) { setPlaying(false); acc = 0; S.forceUi = true; } // at the stop: read, then Next
    return done;
  }

  // ---------------------------------------------------------------- slices between frames
  // Each tick that leaves a backlog (the engine did not catch up with the asked speed within its budget)
  // starts slices: one message at a time through a MessageChannel (a task that runs at once, unlike
  // setTimeout(0), clamped to 4 ms, or requestIdleCallback, whose deadlines are capped at 50 ms and which
  // headless Chromium calls unreliably), each
  // advancing the engine for at most SLICE_MS, until the backlog is done or the next frame is near
  // (sliceDeadline). Pausing, a jump in time, going off screen and stop() end them at once: a slice
  // already posted then finds `slicing` false and does nothing.
  const idle = new MessageChannel();
  let slicing = false, slicePosted = false;
  let idleDone = 0; // simulated ms the slices advanced since the last tick (effective counts them)
  idle.port1.onmessage = slice;

  /** Slices may advance: playing, on screen (and the page shown), started, alive, the scrubber let go. */
  function maySlice() {
    return S.playing && visible && !S.stopped && !S.dead && pendingSeek === null && !tt?.dragging && !document.hidden;
  }
  function startSlicing() {
    slicing = true;
    if (!slicePosted) { slicePosted = true; idle.port2.postMessage(0); }
  }
  function endSlicing() { slicing = false; }

  function slice() {
    slicePosted = false;
    if (!slicing || !maySlice()) { slicing = false; return; }
    const t0 = performance.now();
    // Before two frames have been seen playing, the period is a guess (a 120 Hz screen's is half of it): no slice.
    const room = pageFrames.gaps.length ? Math.min(SLICE_MS, sliceDeadline() - t0) : 0;
    if (room <= 0) {
      // The next frame is near: its tick starts them again. A frame with no slice counts as one with no
      // overrun, so that a spike (a GC, the module's tier-up, another process) ages out of the margin;
      // else a margin grown past the time between a tick and the next frame would stop every slice for good.
      if (pageFrames.gaps.length) noteSlice(0, 0);
      slicing = false;
      return;
    }
    const done = advanceWithin(t0, room);
    noteSlice(room, performance.now() - t0);
    idleDone += done;
    // Nothing advanced: the backlog is done, or a guided stop is reached (paused). Else the next slice, after
    // the messages already posted (another instance's slice goes first).
    if (done > 0 && slicing && Math.floor(acc) >= 1) startSlicing(); else slicing = false;
  }

  /** @param {number} ts */
  function tick(ts) {
    raf = 0;
    if (S.stopped || S.dead || !visible) return;
    const dt = lastTs ? ts - lastTs : 0;
    lastTs = ts;
    if (!S.playing && !S.dirty) return; // idle until a control or a resize asks again (schedule())
    endSlicing(); // this frame's tick goes first; it starts the slices again after its own work
    schedule();
    if (pendingSeek !== null) { // the scrubber moved: one seek per frame, to its newest position
      const t = pendingSeek;
      pendingSeek = null;
      safely(() => pg.seek(t));
      jumped();
    }
    const t0 = performance.now();
    // A frame that reads the text views and updates the panels gives the engine less time, so
    // that it still fits the frame budget (uiCost: what those took lately).
    // While playing, a UI tick's panels are updated in the frame after the one that read them.
    const uiDue = !pendingTexts && (S.forceUi || t0 - lastUi >= UI_MS);
    // Playing, metrics() and audit() (the heaviest reads) get frames of their own, one at a time.
    const auxDue = full && S.playing && !uiDue && !pendingTexts && (t0 - lastAudit >= AUDIT_MS || t0 - lastMetrics >= METRICS_MS);
    const budget = Math.max(0.5, ENGINE_BUDGET_MS - (uiDue ? uiCost : pendingTexts ? domCost : auxDue ? auxCost : 0));
    if (S.playing) {
      // Advance within a time budget, so a frame never stalls, and leave the rest of the backlog to the
      // slices after the frame. What they did not do by this frame is carried into the next ones, at most
      // CARRY_MS of asked time, and the rest dropped: frames cut short (a GC, a busy slice, a panel update) are
      // made up when the engine has time to spare, and when it cannot keep up with the asked speed it runs
      // slower (the clock shows the real speed) without piling up a debt.
      const due = Math.min(dt * speed, 5000);
      acc = Math.min(acc, speed * CARRY_MS, 5000) + due;
      const done = advanceWithin(t0, budget);
      if (dt > 0) { simWin = simWin * 0.9 + done + idleDone; wallWin = wallWin * 0.9 + dt; effective = simWin / wallWin; }
    }
    idleDone = 0;
    if (S.dead) return;
    // Fast and nothing to show or read but the picture: one frame in two (three) draws.
    const skipping = speed >= THIRD_RATE_SPEED ? 2 : speed >= HALF_RATE_SPEED ? 1 : 0;
    skipped = S.playing && skipped < skipping && !uiDue && !auxDue && !pendingTexts && !S.forceUi && !guide.revealing ? skipped + 1 : 0;
    if (skipped > 0) {
      const fs = opts.frameStats;
      if (fs) { fs.samples.push(performance.now() - t0); if (fs.samples.length > 600) fs.samples.shift(); }
      noteFrame(ts, dt);
      if (Math.floor(acc) >= 1 && maySlice()) startSlicing();
      return;
    }
    const t1 = performance.now();
    const ui = uiDue || (S.forceUi && !pendingTexts);
    // Every wasm call that returns JSON happens before the frame views are made.
    /** @type {Texts | null} */
    let texts = null;
    if (ui) texts = gatherTexts(t0);
    const flights = pg.inFlight(400);
    const quorum = readQuorum();
    readFrame();
    const s = /** @type {Structure} */ (app.structure), idx = /** @type {IndexMaps} */ (app.idx);
    if (frame[idx.h.structure_version] !== s.version) { loadStructure(); readFrame(); }
    const t2 = performance.now();
    const now = frame[idx.h.now_ms];
    hdr.end = frame[idx.h.event_seq_end]; hdr.violations = frame[idx.h.violations]; hdr.lost = frame[idx.h.lost];
    if (texts) { view.storage = texts.storage; view.setGhosts(texts.ghosts); view.setRecords(/** @type {{ri: number, records: RecordView[]}[]} */ (texts.records)); } // before drawing: the strips use them
    // The network as it is now (a cut or heal made this frame, by a click or by the scenario at
    // any speed, is drawn in this frame): the text views' copy can be up to UI_MS old.
    const cfg = texts ? texts.cfg : safely(() => pg.configs());
    if (cfg) {
      app.cuts = cfg.network.cuts;
      app.slow = cfg.network.links.filter((l) => l.extra_latency_ms > 0).map((l) => /** @type {[string, string, number]} */ ([l.from, l.to, l.extra_latency_ms]));
      app.acks = cfg.producer.acks;
    }
    if (frame.length === 0 || tails.length === 0) readFrame(); // detached by a memory growth (below)
    view.updateHeaders(frame);
    if (quorum) view.setQuorum(quorum);
    const tt1 = /** @type {TimeTravel} */ (tt);
    guide.syncStop(now, !tt1.dragging);
    if (guide.needFit) guide.fitStage();
    // A wasm call after readFrame (configs, a stop's views) may grow the engine's memory, which
    // detaches the frame's typed arrays (length 0): read them again then.
    if (frame.length === 0 || tails.length === 0) readFrame();
    // A fraction of a simulated ms not advanced yet is drawn (smooth at slow speeds); a backlog left to the slices is not.
    view.draw(frame, tails, flights, now + (S.playing && acc < 1 ? acc : 0), { cuts: app.cuts, slow: app.slow, acks: app.acks, trails: !reducedMotion.matches, look: app.look });
    if (guide.revealStage) guide.showStage();
    tt1.setNow(now);
    clock.textContent = S.playing && effective < speed * 0.8 ? `${fmtT(now)} s (running at ${effective < 10 ? effective.toFixed(1) : Math.round(effective)}×)` : `${fmtT(now)} s`;
    const t3 = performance.now();
    const apply = pendingTexts ?? (ui && !S.playing ? { texts, quorum } : null);
    pendingTexts = ui && S.playing ? { texts, quorum } : null;
    if (apply) applyTexts(/** @type {Texts} */ (apply.texts)); // read in a UI tick: never null
    if (apply?.quorum) sayQuorum(apply.quorum);
    if (auxDue && !S.dead) {
      const a0 = performance.now();
      if (t0 - lastAudit >= AUDIT_MS) { const a = safely(() => pg.audit()); if (a) /** @type {AuditPanel} */ (audit).update(a); lastAudit = t0; }
      else { const m = safely(() => pg.metrics()); if (m) /** @type {MetricsPanel} */ (metrics).update(m); lastMetrics = t0; }
      auxCost = auxCost * 0.7 + (performance.now() - a0) * 0.3;
    }
    if (guide.revealing) guide.revealInDock(); // after the panels' new text
    // Paused, frames go on while a reveal lasts, panels wait, or a read is asked for (a stop).
    S.dirty = guide.revealing || !!pendingTexts || S.forceUi;
    // This frame's windows want other records than the last read (a window resized or moved):
    // read them in the next frame, even when paused.
    if (!S.playing && recordsKey(view.wantedRecords()) !== wantKey) { S.forceUi = true; S.dirty = true; }
    const t4 = performance.now();
    if (ui) uiCost = uiCost * 0.7 + (t2 - t1) * 0.3;
    if (apply) domCost = domCost * 0.7 + (t4 - t3) * 0.3;
    const fs = opts.frameStats;
    if (fs) {
      fs.samples.push(t4 - t0);
      if (fs.samples.length > 600) fs.samples.shift();
      // Where the last frame's time went (advance; other engine calls; canvas; DOM panels), in ms.
      fs.last = { advance: t1 - t0, engine: t2 - t1, draw: t3 - t2, dom: t4 - t3 };
    }
    noteFrame(ts, S.playing ? dt : 0);
    // The engine is behind the asked speed: it goes on between this frame and the next.
    if (Math.floor(acc) >= 1 && maySlice()) startSlicing();
  }

  let wantKey = '';
  const recordsKey = (/** @type {{ri: number, from: number, count: number}[]} */ want) => want.map((w) => `${w.ri}:${w.from}:${w.count}`).join(',');
  /**
   * @typedef {object} Texts The text views read in one UI tick (gatherTexts), applied by applyTexts.
   * @property {string} desc kafka-topics.sh --describe (full mode; '' in the minimal view)
   * @property {PartitionMembersView[]} members
   * @property {ConfigsView} cfg
   * @property {ReplicaStorageView[]} storage
   * @property {TimelineView} tl
   * @property {ClientsView} clients
   * @property {Countdowns} countdowns
   * @property {GhostView[]} ghosts
   * @property {{ri: number, records: RecordView[]}[]} [records]
   * @property {RecordView[]} [segRecords]
   * @property {string} [groupsDesc]
   * @property {ReassignmentView[]} [moves] reassignments in progress (full mode)
   * @property {number} [skipped]
   * @property {EventView[]} [events]
   * @property {Metrics} [metrics]
   * @property {ClientAudit} [audit]
   * @property {InvariantsView} [inv]
   */
  /** Reads the text views (events, describe, invariants, metrics, configs); the minimal view reads fewer. @param {number} t0 @returns {Texts} */
  function gatherTexts(t0) {
    lastUi = t0;
    /** @type {Texts} */
    const out = { desc: full ? pg.describe() : '', members: pg.partitionMembers(), cfg: pg.configs(), storage: pg.storage(), tl: pg.timeline(), clients: pg.clients(), countdowns: pg.countdowns(), ghosts: pg.ghosts() };
    // Keys and values for the strips whose cells are wide enough to show them (a few windows).
    const want = view.wantedRecords();
    wantKey = recordsKey(want);
    out.records = want.map((w) => ({ ri: w.ri, records: pg.records(w.ri, w.from, w.count) }));
    const sw = segments?.want(/** @type {Structure} */ (app.structure), /** @type {IndexMaps} */ (app.idx), frame, out.storage, app.topic);
    if (sw && sw.count > 0) out.segRecords = pg.records(sw.ri, sw.from, sw.count);
    const { end, violations, lost } = hdr;
    if (full) {
      out.groupsDesc = pg.describeGroups();
      out.moves = pg.reassignments();
      // Events: only the newest ones when too many came at once (e.g. at 1000×).
      // The counts come from the previous frame (no extra frame() call).
      // Playing fast, 150 per update (600 lines a second is more than anyone reads; the frame stays short).
      const cap = S.playing && speed >= 20 ? 150 : 500;
      if (end - eventSeq > cap) { out.skipped = end - cap - eventSeq; eventSeq = end - cap; }
      const events = pg.eventsSince(eventSeq, cap);
      out.events = events;
      if (events.length) eventSeq = events[events.length - 1].seq + 1;
      // Playing, metrics and the audit are read in frames of their own (auxDue in tick).
      if (S.forceUi || (!S.playing && t0 - lastMetrics >= METRICS_MS)) { out.metrics = pg.metrics(); lastMetrics = t0; }
      if (S.forceUi || (!S.playing && t0 - lastAudit >= AUDIT_MS)) { out.audit = pg.audit(); lastAudit = t0; }
    }
    // invariants() re-audits every write: only when the frame's counts change.
    if (S.forceUi || violations !== lastViolations || lost !== lastLost) {
      out.inv = pg.invariants();
      lastViolations = violations; lastLost = lost;
    }
    S.forceUi = false;
    return out;
  }

  /** @param {Texts} t */
  function applyTexts(t) {
    tl = t.tl;
    /** @type {TimeTravel} */ (tt).update(tl);
    if (t.inv) inv.update(t.inv);
    const s = /** @type {Structure} */ (app.structure), idx = /** @type {IndexMaps} */ (app.idx);
    summary.update(s, idx, frame, t.members);
    live.update(t.clients.producer, t.countdowns);
    live.updateGhosts(t.ghosts);
    if (!full) return;
    // Full mode: every panel exists.
    const log1 = /** @type {EventLog} */ (log);
    if (/** @type {number} */ (t.skipped) > 0) log1.note(`… ${t.skipped} events not shown (time ran too fast)`);
    log1.add(/** @type {EventView[]} */ (t.events));
    if (t.metrics) /** @type {MetricsPanel} */ (metrics).update(t.metrics);
    if (t.audit) /** @type {AuditPanel} */ (audit).update(t.audit);
    /** @type {ConsumerPanel} */ (group).update(t.clients);
    /** @type {ReassignPanel} */ (reassign).update(/** @type {ReassignmentView[]} */ (t.moves));
    /** @type {Controls} */ (controls).updateProducer(t.clients.producer);
    updateDescribe(/** @type {HTMLPreElement} */ (dom.describe), t.desc);
    updateDescribe(/** @type {HTMLPreElement} */ (dom.describeGroups), /** @type {string} */ (t.groupsDesc));
    /** @type {SegmentsList} */ (segments).update(s, idx, frame, t.storage, app.topic, t.segRecords);
  }

  /** The quorum in words, for screen readers (the canvas and the voter buttons show it). @param {ControllerQuorumView} q */
  function sayQuorum(q) {
    const p = dom.quorum;
    const voters = q.voters.map((v) => `${v.id} ${v.status === 'crashed' ? 'crashed' : `${v.status} (${v.raft_state}, epoch ${v.epoch})`}`).join('; ');
    const head = q.active === null ? `no active controller${q.no_controller_for_ms === null ? '' : ` for ${(q.no_controller_for_ms / 1000).toFixed(1)} s`}` : `controller ${q.active} is active`;
    const text = `KRaft controller quorum, epoch ${q.epoch}: ${head}; majority ${q.majority} of ${q.voters.length}, ${q.running} running. Voters: ${voters}.`;
    if (p.textContent !== text) p.textContent = text;
    p.hidden = false;
    p.dataset.active = q.active === null ? 'none' : String(q.active);
    p.dataset.epoch = String(q.epoch);
  }

  /** Off screen (scrolled away, or in a closed <details>): no frames, no simulated time. */
  function watchVisibility() {
    const io = new IntersectionObserver((entries) => {
      const v = entries[entries.length - 1].isIntersecting;
      if (v === visible) return;
      visible = v;
      if (v) { lastTs = 0; S.dirty = true; schedule(); } else { endSlicing(); if (raf) { cancelAnimationFrame(raf); raf = 0; } }
    });
    io.observe(mount);
    cleanups.push(() => io.disconnect());
  }

  return {
    /** The frame's numbers as last read (brokerStatus reads it again): a view into wasm memory. */
    get frame() { return frame; },
    /** The time-travel controls. */
    get tt() { return tt; },
    /** Where the recorded run starts (seekTo goes no earlier). */
    startMs,
    loadStructure,
    brokerStatus,
    setPlaying,
    seekTo,
    advanceBy,
    schedule,
    watchVisibility,
    /** The guide controller the loop pauses at the stops of. @param {GuideController} g */
    attachGuide(g) { guide = g; },
    /** No more frames and no more slices (stop()). */
    cancel() {
      if (raf) cancelAnimationFrame(raf);
      raf = 0;
      endSlicing();
      idle.port1.onmessage = null;
      idle.port1.close();
      idle.port2.close();
    },
  };
}

/** Field name → index maps for the frame's header, broker, partition and replica records. @param {FrameLayout} l @returns {IndexMaps} */
function indexMaps(l) {
  const m = (/** @type {string[]} */ names) => Object.fromEntries(names.map((n, i) => [n, i]));
  return { h: m(l.header_fields), b: m(l.broker_fields), p: m(l.partition_fields), r: m(l.replica_fields) };
}
