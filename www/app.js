// @ts-check
// One playground instance, bound to a root node (an element of the main page, or the inside of
// a <kafka-playground> shadow root): it builds its DOM there, owns its own engine handle
// (`new Playground(...)`), its animation loop and its messages. Nothing here touches `document`
// by id or keeps per-instance state at module level, so any number of instances can run on a page.
//
// createPlayground wires the instance's parts, each in a file of its own:
//   dom-build.js         the DOM (buildDom: time bar, cluster card, panels, dock; the legend)
//   loop.js              the frame loop (advance, read, draw, panels), the time controls, time travel
//   guide-controller.js  a guided scenario's stops (pause at each, what it looks at, the dock, the fitted stage)
// and keeps here the messages, the engine handle, the App the controls act through, the canvas's
// tooltip, and stop(). The parts share one RunState object (types.d.ts): playing, stopped, dead,
// dirty, forceUi.
//
//   const engine = await loadEngine();                 // engine.js: once per page
//   const pg = createPlayground(mountElement, engine, { mode: 'full' | 'minimal', ... });
//   pg.stop();                                          // loop, observers and listeners gone, engine freed
import { ClusterView } from './render.js';
import { buildDom, buildLegend } from './dom-build.js';
import { createLoop } from './loop.js';
import { createGuide } from './guide-controller.js';
import { Controls, BrokerMenu } from './controls.js';
import { ConsumerPanel } from './groups.js';
import { ReassignPanel } from './reassign.js';
import { AuditPanel, EventLog, InvariantsPanel, MetricsPanel, PartitionSummary, SegmentsList, replicaText, recordText } from './panels.js';
import { onEnginePanic } from './engine.js';
import { ScenarioPicker } from './guide.js';
import { ShareBar } from './share.js';
import { LiveStrip } from './live.js';

// The entry points (main.js, kafka-playground.js) import these from here.
export { renderFatal } from './dom-build.js';

/**
 * @typedef {object} PlaygroundOptions createPlayground's opts (described below).
 * @property {string} [mode]
 * @property {boolean} [page]
 * @property {string} [fragment]
 * @property {() => void} [onBadFragment]
 * @property {string} [scenario]
 * @property {string | null} [scenarioName]
 * @property {number} [seed]
 * @property {{scenario?: string, seed?: number, using: string}[]} [fallbacks]
 * @property {string} [what]
 * @property {number} [speed]
 * @property {boolean} [playing]
 * @property {string[]} [messages]
 * @property {EventTarget} [keyTarget]
 * @property {HTMLElement | null} [caption]
 * @property {ClusterShape} [shape]
 * @property {(shape: ClusterShapeText) => void} [newCluster]
 * @property {FrameStats | null} [frameStats]
 * @property {(seed: number) => string} [panicHint]
 * @property {(file: string) => void} [loadScenario]
 * @property {string} [shareBase]
 */

/**
 * Starts one instance in `mount` (an element; its ids are unique within its tree scope, so
 * several instances in one document each need their own shadow root).
 *
 * engine: from loadEngine(). opts:
 *   mode 'full' | 'minimal'; page: true for the main page (main landmark, page-wide keys);
 *   scenario: scenario JSON text or undefined (the engine's default playground); seed (undefined: random);
 *   fallbacks: [{scenario, seed, using}] tried in order when the engine refuses the scenario;
 *   what: how to name the asked run in a message when the engine refuses it (default: its seed);
 *   speed (0.1–1000); playing (bool); messages: [text] shown at start (validation messages);
 *   keyTarget: where Space / → are heard (default: the mount); caption: an element above the time bar;
 *   shape {brokers, partitions, rf, controllers} and newCluster(shape): the Cluster controls (full mode);
 *   frameStats: an object that receives per-frame timings (the main page's __frameStats), or null;
 *   panicHint(seed): extra words for the panic message.
 * Returns { pg, seed, advance(ms), stop() }.
 * @param {HTMLElement} mount @param {Engine} engine @param {PlaygroundOptions} opts
 */
export function createPlayground(mount, engine, opts) {
  const { Playground, wasmMemory, defs } = engine;
  const mode = opts.mode === 'full' ? 'full' : 'minimal';
  const full = mode === 'full';
  const dom = buildDom(mount, mode, !!opts.page, opts.caption);
  const messages = [...(opts.messages || [])];
  /** @type {RunState} */
  const S = { playing: opts.playing ?? true, stopped: false, dead: false, dirty: true, forceUi: true };
  /** @type {(() => void)[]} */
  const cleanups = [];
  /**
   * target.addEventListener, removed by stop(). `fn` takes the event type it is registered for.
   * @template {Event} E @param {EventTarget} target @param {string} type @param {(e: E) => void} fn @param {AddEventListenerOptions} [o]
   */
  const listen = (target, type, fn, o) => {
    const f = /** @type {EventListener} */ (/** @type {unknown} */ (fn));
    target.addEventListener(type, f, o); cleanups.push(() => target.removeEventListener(type, f, o));
  };

  // ---------------------------------------------------------------- messages
  const { errText, errClose } = dom;
  /** @param {string} msg */
  function showError(msg) {
    errText.textContent = msg;
    errClose.hidden = false;
    dom.error.classList.add('on');
  }
  function clearError() {
    if (!errClose.hidden) { errText.textContent = ''; errClose.hidden = true; dom.error.classList.remove('on'); }
  }
  listen(errClose, 'click', clearError);

  // ---------------------------------------------------------------- engine
  // The scenario as asked; if the engine refuses it, each fallback in turn (opts.fallbacks:
  // [{scenario, seed, using}]), the same scenario with a random seed, then the default playground.
  /** @type {PlaygroundApi} */
  let pg = /** @type {PlaygroundApi} */ (/** @type {unknown} */ (undefined)); // set below (or the page fails at pg.seed())
  let why = '';
  // A shared run (#v1.… from Copy link): replayed to the moment it was shared at. A bad link
  // is said in words (the engine names what is wrong) and the page starts as if it had none.
  if (opts.fragment) {
    try {
      pg = Playground.fromFragment(opts.fragment);
    } catch (e) {
      messages.push(`This link's run cannot be opened: ${/** @type {Error} */ (e).message}. Starting a new playground instead.`);
      opts.onBadFragment?.();
    }
  }
  /** @type {{scenario?: string, seed?: number, using?: string}[]} */
  const tries = pg ? [] : [
    { scenario: opts.scenario, seed: opts.seed },
    ...(opts.fallbacks || []),
    { scenario: opts.scenario, seed: undefined, using: 'using a random seed' },
    { scenario: undefined, seed: undefined, using: 'using the default playground' },
  ];
  for (const t of tries) {
    if (why && !t.using) continue;
    try {
      pg = new Playground(t.scenario, t.seed);
      if (why) messages.push(`${why}; ${t.using}.`);
      break;
    } catch (e) {
      if (!why) {
        const what = opts.what ?? (opts.seed !== undefined ? `with seed ${opts.seed}` : '');
        why = `Cannot start${what ? ` ${what}` : ''}: ${/** @type {Error} */ (e).message}`;
      }
    }
  }
  if (messages.length) showError(messages.join(' '));
  const fromLink = !!opts.fragment && tries.length === 0;
  if (fromLink) S.playing = false; // a shared run opens paused on the moment it was shared at
  const seedNow = pg.seed();
  if (dom.seed) dom.seed.textContent = `seed ${seedNow}`;
  cleanups.push(onEnginePanic((msg) => {
    S.dead = true;
    dom.panic.textContent = `The simulation engine crashed and has stopped. Reload the page to start again${opts.panicHint ? opts.panicHint(seedNow) : ` (seed ${seedNow})`}. Details: ${msg}`;
    dom.panic.hidden = false;
  }));

  const reducedMotion = matchMedia('(prefers-reduced-motion: reduce)');
  /** @type {App} */
  const app = {
    pg,
    structure: null,
    idx: null,
    topic: '',
    slow: [], // [from, to, extra ms]: the slow links in force, from the engine's configs().network.links
    cuts: [],
    acks: 'all',
    shape: opts.shape || { brokers: 3, partitions: 3, rf: 3, controllers: 1 },
    newCluster: opts.newCluster || (() => {}),
    configs: () => pg.configs(),
    error: showError,
    /** Applies one command; shows its error; returns whether it worked. */
    run(cmd) {
      if (S.stopped) return false;
      try {
        pg.apply(JSON.stringify(cmd));
      } catch (e) {
        showError(`${cmd.type}: ${/** @type {Error} */ (e).message}`);
        return false;
      }
      clearError();
      loop.tt?.say('');
      if (cmd.type === 'start_reader' || cmd.type === 'start_consumer') loop.loadStructure(); // new nodes (and maybe __consumer_offsets)
      app.changed();
      return true;
    },
    /** Something changed outside the loop: refresh everything on the next frame. */
    changed() { controls?.sync(); S.forceUi = true; S.dirty = true; loop.schedule(); },
  };

  // ---------------------------------------------------------------- UI pieces
  const stage = dom.stage, viewport = dom.stageScroll;
  // The fault menu lives in the cluster card, outside the sideways scroller (which would clip it).
  // The minimal one has no network faults (it has no "heal all" to undo them).
  const menu = new BrokerMenu(dom.cluster, app, full ? undefined : ['crash', 'kill', 'shutdown', 'restart', 'pause', 'resume', 'crash-active']);
  cleanups.push(() => menu.destroy());
  listen(viewport, 'scroll', () => menu.close(false));
  // Scrolling brings other partition rows on screen: draw them (only visible rows are drawn).
  listen(window, 'scroll', () => { S.dirty = true; loop.schedule(); }, { passive: true, capture: true });
  const view = new ClusterView(stage, dom.canvas, dom.heads, (id, b) => menu.toggle(id, b, loop.brokerStatus(id)), viewport);
  // A KRaft controller quorum (sim.controllers > 1, fixed for the run): voters drawn and clickable.
  const quorumMode = (() => { try { return pg.controllerQuorum().voters.length > 0; } catch { return false; } })();
  /** The quorum view when there is one (a JSON call: before reading the frame). */
  const readQuorum = () => (quorumMode ? safely(() => pg.controllerQuorum()) ?? null : null);
  view.onVoterClick = (id, b) => { const q = readQuorum(); if (q) menu.toggleVoter(id, b, q); };
  const controls = full ? new Controls(/** @type {HTMLElement} */ (dom.controls), app, defs, engine.limits) : null;
  const log = full ? new EventLog(/** @type {HTMLElement} */ (dom.log), engine.categories) : null;
  const inv = new InvariantsPanel(dom.invariants);
  const metrics = full ? new MetricsPanel(/** @type {HTMLElement} */ (dom.metrics)) : null;
  const summary = new PartitionSummary(dom.summary);
  const live = new LiveStrip(dom.live);
  live.onDismissGhosts = () => { if (!S.stopped && !S.dead) { safely(() => pg.dismissGhosts()); app.changed(); } };
  const segments = full ? new SegmentsList(/** @type {HTMLElement} */ (dom.segments), /** @type {HTMLElement} */ (dom.segmentsHead)) : null;
  const audit = full ? new AuditPanel(/** @type {HTMLElement} */ (dom.audit)) : null;
  const group = full ? new ConsumerPanel(/** @type {HTMLElement} */ (dom.group), app) : null;
  const reassign = full ? new ReassignPanel(/** @type {HTMLElement} */ (dom.reassign), app) : null;
  buildLegend(dom.legend, full, quorumMode);

  // ---------------------------------------------------------------- the frame loop, time controls and time travel
  // loop.js: advances and draws every frame, pauses at the guide's stops; its controls go in the time bar.
  const loop = createLoop({
    mount, opts, full, dom, pg, wasmMemory, speeds: engine.limits.speeds, S, app, view, readQuorum, reducedMotion, safely, listen, cleanups,
    panels: { controls, log, inv, metrics, summary, live, segments, audit, group, reassign },
  });

  // Hovering a replica strip: the replica in words (native tooltip).
  const canvas = dom.canvas;
  let lastHit = '';
  listen(canvas, 'mousemove', (/** @type {MouseEvent} */ e) => {
    if (S.stopped || S.dead) return;
    const hit = view.hit(e.offsetX, e.offsetY);
    const key = hit ? `${hit.pi}:${hit.broker}:${hit.offset}:${hit.gap}` : '';
    if (key === lastHit) return;
    lastHit = key;
    if (!hit) { canvas.removeAttribute('title'); return; }
    const status = loop.brokerStatus(hit.broker); // reads a fresh frame
    const s = /** @type {Structure} */ (app.structure);
    const replica = replicaText(s, /** @type {IndexMaps} */ (app.idx), loop.frame, hit.pi, hit.broker, status);
    // Over a cell: the whole record as the engine holds it on this replica.
    const offset = hit.offset;
    const rec = offset != null ? safely(() => pg.records(hit.ri, offset, 1))?.[0] : null;
    const gap = hit.gap ? `offsets ${hit.gap[0]}–${hit.gap[1]}: removed by the log cleaner (it keeps the latest record of each key; offsets never change, so gaps appear)\n\n` : '';
    // A ghost at this offset: what this replica lost there, and why (the engine's label).
    const part = s.partitions[hit.pi];
    const ghosts = hit.offset != null ? view.ghostsBy.get(`${part.topic}-${part.partition}@${hit.broker}`) || [] : [];
    const lost = ghosts.flatMap((gh) => gh.records.filter((r) => r.offset === hit.offset).map((r) =>
      `${gh.label}\nlost here: offset ${r.offset}, epoch ${r.leader_epoch}${r.key != null ? `, key ${r.key}` : ''}${r.value != null ? `, value ${r.value}` : ''}${r.acknowledged_lost ? ' (acknowledged, now on no replica)' : ''}\n\n`)).join('');
    canvas.title = lost + (rec && rec.offset === hit.offset ? `${recordText(rec)}\n\n${replica}` : `${gap}${replica}`);
  });
  listen(canvas, 'mouseleave', () => { lastHit = ''; });
  // Shift + wheel (or a sideways wheel) over a strip scrolls its partition's offsets.
  listen(canvas, 'wheel', (/** @type {WheelEvent} */ e) => {
    const dx = e.shiftKey ? e.deltaY || e.deltaX : e.deltaX;
    if (!dx || S.stopped || S.dead) return;
    const hit = view.hit(e.offsetX, e.offsetY);
    if (!hit) return;
    const w = view.rowWins[hit.pi];
    if (view.panRow(hit.pi, Math.sign(dx) * -Math.max(1, Math.floor((w?.K ?? 2) / 2)))) {
      e.preventDefault();
      S.forceUi = true; S.dirty = true; loop.schedule(); // the new window's keys are read before drawing
    }
  }, { passive: false });

  // ---------------------------------------------------------------- scenarios and sharing (full mode)
  if (dom.runbar) {
    if (opts.loadScenario) {
      const picker = new ScenarioPicker(dom.runbar, { current: opts.scenarioName, choose: opts.loadScenario });
      cleanups.push(() => picker.destroy());
    }
    const share = new ShareBar(dom.runbar, { pg: () => pg, base: opts.shareBase ?? `${location.origin}${location.pathname}`, error: showError });
    cleanups.push(() => share.destroy());
  }

  // ---------------------------------------------------------------- guided scenario (narration)
  // The story's stops, the dock and the fitted stage: guide-controller.js. The loop pauses at its stops.
  const guide = createGuide({
    mount, opts, full, dom, pg, S, app, view, menu, controls, log, startMs: loop.startMs, reducedMotion, safely, listen, cleanups,
    time: loop,
  });
  loop.attachGuide(guide);

  /**
   * Runs an engine call; an exception is shown (and pauses) and gives undefined.
   * @template T @param {() => T} fn @returns {T | undefined}
   */
  function safely(fn) {
    try { return fn(); } catch (e) { showError(/** @type {Error} */ (e).message); loop.setPlaying(false); return undefined; }
  }

  // ---------------------------------------------------------------- go
  loop.loadStructure();
  controls?.sync();
  loop.setPlaying(S.playing);
  let width = 0;
  const ro = new ResizeObserver(() => {
    if (viewport.clientWidth === width) return; // height follows from the content
    width = viewport.clientWidth;
    view.layout(); menu.place(); S.dirty = true; loop.schedule();
  });
  ro.observe(viewport);
  cleanups.push(() => ro.disconnect());
  guide.watchSizes(); // the guided stage is fitted again when what sits above it or in it changes size
  loop.watchVisibility(); // off screen: no frames, no simulated time
  listen(reducedMotion, 'change', () => { S.dirty = true; loop.schedule(); });
  guide.syncStop(pg.nowMs(), false);
  loop.schedule();

  return {
    pg,
    seed: seedNow,
    /** Whether the run tells a guided story (narration stops). */
    guided: guide.guided,
    /** Fits the guided stage again (the page above it changed). */
    refit: guide.refit,
    advance: loop.advanceBy,
    showError,
    /** Stops the loop, removes every listener and observer, and frees the engine handle. */
    stop() {
      if (S.stopped) return;
      S.stopped = true;
      loop.cancel();
      for (const f of cleanups.splice(0)) {
        try { f(); } catch (e) { console.error(e); }
      }
      try { pg.free(); } catch { /* already gone with a panicked engine */ }
    },
  };
}
