// @ts-check
// Guided scenarios, the controller: the stops of the run's story (pg.story()) and what each one
// looks at. Stepping through: playing pauses at each stop (the frame loop asks stopAfter/stopTime),
// Next (or Play) goes on to the next one, Back seeks to the one before. A stop outlines what it looks
// at (broker headers, panels; canvas rings through app.look) and, in full mode, moves the panels it
// names into the dock beside the picture; the guided stage (narration, picture, dock) is fitted to
// the window. The narration panel and the scenario picker themselves (DOM only) are in guide.js.
import { Narration } from './guide.js';

/**
 * @typedef {object} GuideParts What the guide controller works with (createPlayground's parts).
 * @property {HTMLElement} mount the instance's root
 * @property {{page?: boolean}} opts page: the main page (the stage fits the window below the page's top)
 * @property {boolean} full
 * @property {import('./dom-build.js').Dom} dom
 * @property {PlaygroundApi} pg
 * @property {RunState} S
 * @property {App} app
 * @property {import('./render.js').ClusterView} view
 * @property {import('./controls.js').BrokerMenu} menu
 * @property {import('./controls.js').Controls | null} controls
 * @property {import('./panels.js').EventLog | null} log
 * @property {number} startMs where the recorded run starts (no stop before it)
 * @property {MediaQueryList} reducedMotion
 * @property {<T>(fn: () => T) => T | undefined} safely an engine call; an exception is shown and pauses
 * @property {(target: EventTarget, type: string, fn: (e: Event) => void) => void} listen addEventListener until stop()
 * @property {(() => void)[]} cleanups run by stop()
 * @property {{setPlaying(on: boolean): void, seekTo(t: number): void, schedule(): void}} time the frame loop's controls
 */

/** @typedef {ReturnType<typeof createGuide>} GuideController */

/**
 * The guide controller of one instance (also when the run has no story: then it does nothing).
 * Builds the narration panel in dom.narr; the loop calls syncStop every frame.
 * @param {GuideParts} parts
 */
export function createGuide(parts) {
  const { mount, opts, full, dom, pg, S, app, view, menu, controls, log, startMs, reducedMotion, safely, listen, cleanups } = parts;
  const { setPlaying, seekTo, schedule } = parts.time;
  const viewport = dom.stageScroll;

  // Step-through: playing pauses at each stop, Next (or Play) goes on to the next one. Started
  // playing (an autoplaying embed), the narration follows the clock until Next or Back is pressed.
  /** @type {Story} */
  const story = safely(() => pg.story()) ?? { narration: [] };
  const stops = Array.isArray(story.narration) ? story.narration : [];
  let stepping = stops.length > 0 && !S.playing;
  const narration = new Narration(dom.narr, { compact: !full, on: { next: guideNext, back: guideBack } });
  narration.setStory(stops.length ? story : null);
  if (stops.length) { mount.classList.add('kp-guided'); dom.legendBox.open = false; }
  if (stops.length && narration.mini) { // the step and Next in the sticky time bar while the narration is scrolled away
    dom.timebar.insertBefore(narration.mini, dom.clock);
    const mini = narration.mini;
    const seen = new IntersectionObserver((es) => { mini.hidden = es[es.length - 1].isIntersecting; });
    seen.observe(dom.narr);
    cleanups.push(() => seen.disconnect());
  }
  let stopK = -1, stopKey = '';
  const stopTime = (/** @type {number} */ k) => Math.max(stops[k].at_ms, startMs);
  /** The stop shown at `now`: the last one at or before it. */
  const stopAt = (/** @type {number} */ now) => { let k = 0; for (let i = 1; i < stops.length; i++) if (stopTime(i) <= now) k = i; return k; };
  /** The first stop after `now`, or -1. */
  const stopAfter = (/** @type {number} */ now) => stops.findIndex((s, i) => stopTime(i) > now);

  function guideNext() {
    if (S.stopped || S.dead) return;
    stepping = true;
    const now = pg.nowMs(), i = stopAfter(now);
    if (i < 0) { setPlaying(true); return; } // after the last stop: play on freely
    if (S.playing) { // already on the way: skip the rest of the way at once
      safely(() => pg.advance(stopTime(i) - now));
      setPlaying(false);
      app.changed();
      return;
    }
    setPlaying(true); // the loop plays up to the stop and pauses there
  }

  function guideBack() {
    stepping = true;
    const now = pg.nowMs(), k = stopAt(now);
    seekTo(now > stopTime(k) ? stopTime(k) : stopTime(Math.max(0, k - 1)));
  }

  /** Shows the stop for `now` (and its highlights) when it changed. @param {number} now @param {boolean} scroll */
  function syncStop(now, scroll) {
    if (!stops.length) return;
    const k = stopAt(now);
    const busy = S.playing && stepping && stopAfter(now) >= 0;
    const key = `${k}|${busy}|${S.playing}|${now <= stopTime(0)}`;
    if (key === stopKey) return;
    stopKey = key;
    // The stop's text with the run's numbers ({acknowledged}, {leader:orders-0}, ...) filled in by the engine.
    const text = safely(() => pg.narrationText(k));
    narration.show(k, { busy, playing: S.playing, atStart: now <= stopTime(0), text });
    if (k !== stopK) { stopK = k; applyLook(scroll); }
  }

  // What the stop looks at: DOM outlines (broker headers, panels) and canvas rings (app.look).
  // In full mode the panels it names move into the dock beside the picture (and back to their
  // places when the stop changes), so the narration, the picture and the panels are on screen together.
  /** @type {HTMLElement[]} */
  let looked = [];
  /** @type {Map<Element, Comment>} */
  const docked = new Map(); // dock unit → the comment left where it came from
  /** @param {boolean} scroll */
  function applyLook(scroll) {
    for (const e of looked) { e.classList.remove('kp-look'); delete e.dataset.lookTarget; }
    looked = [];
    app.look = null;
    const stop = stops[stopK];
    if (!stop || !app.structure) { dockUnits([]); return; }
    /** @type {Look} */
    const look = { nodes: new Set(), partitions: new Set(), replicas: new Set(), marks: [] };
    const s = app.structure;
    const pIndex = (/** @type {LookTarget} */ t) => s.partitions.findIndex((p) => p.topic === t.topic && p.partition === t.partition);
    /** @type {string[]} */
    const names = [];
    /** @type {Element[]} */
    const units = []; // dock units, in the stop's order
    dockReveal = [];
    dockRevealUntil = performance.now() + 1000;
    /** @type {Element | null} */
    let first = null; // the first panel looked at: scrolled to when off screen (minimal mode)
    for (const t of stop.look_at || []) {
      const name = t.kind === 'panel' ? `panel:${t.panel}` : t.kind === 'broker' ? `broker:${t.broker}` : t.kind === 'partition' ? `partition:${t.topic}-${t.partition}`
        : t.kind === 'replica' ? `replica:${t.topic}-${t.partition}@${t.broker}` : t.kind === 'consumer' ? `consumer:${t.consumer}` : t.kind;
      names.push(name);
      /** @type {HTMLElement | null | undefined} */
      let node = null;
      if (t.kind === 'broker') node = view.buttons.get(/** @type {number} */ (t.broker))?.btn;
      else if (t.kind === 'controller') { look.nodes.add('controller'); look.marks.push({ name, node: 'controller' }); }
      else if (t.kind === 'consumer') { look.nodes.add(`consumer-${t.consumer}`); look.marks.push({ name, node: `consumer-${t.consumer}` }); }
      else if (t.kind === 'partition') { const pi = pIndex(t); if (pi >= 0) { look.partitions.add(pi); look.marks.push({ name, pi }); } }
      else if (t.kind === 'replica') { const pi = pIndex(t); if (pi >= 0) { look.replicas.add(`${pi}:${t.broker}`); look.marks.push({ name, pi, broker: t.broker }); } }
      else if (t.kind === 'panel') {
        const panel = /** @type {string} */ (t.panel);
        node = /** @type {HTMLElement | undefined} */ (panel === 'producer' ? controls?.groups.producer : dom.panels[panel]);
        const unit = panel === 'producer' ? node : dom.dockUnits?.[panel];
        if (unit && !units.includes(unit)) units.push(unit);
        if (unit && node && unit !== node) dockReveal.push([unit, node]); // a part of its unit (the audit line): scrolled to in it
        if (node && !first) first = node;
      }
      if (node) { node.classList.add('kp-look'); node.dataset.lookTarget = name; looked.push(node); }
    }
    app.look = look;
    view.setLookMarks(look.marks);
    dom.narr.dataset.look = names.join(' ');
    if (dom.dock) dockUnits(units);
    S.dirty = true; schedule();
    if (!scroll) return;
    if (dom.dock) { needFit = true; revealStage = true; } // after the fit (next frame): the stage in view
    else if (first && offScreen(first)) first.scrollIntoView({ block: 'nearest', behavior: reducedMotion.matches ? 'auto' : 'smooth' });
  }

  /** Moves `units` into the dock (in order) and every other docked unit back to its place. @param {Element[]} units */
  function dockUnits(units) {
    const dock = dom.dock, dockList = /** @type {HTMLDivElement} */ (dom.dockList);
    if (!dock) return;
    for (const [unit, mark] of docked) {
      if (units.includes(unit)) continue;
      mark.replaceWith(unit);
      docked.delete(unit);
    }
    for (const unit of units) {
      if (docked.has(unit)) continue;
      const mark = document.createComment('docked');
      unit.before(mark);
      docked.set(unit, mark);
      dockList.append(unit);
    }
    // Keep the stop's order without moving units that are already in place (a move resets scrolling).
    units.forEach((u, i) => { if (dockList.children[i] !== u) dockList.insertBefore(u, dockList.children[i]); });
    const on = units.length > 0;
    if (dock.hidden === on) { dock.hidden = !on; /** @type {HTMLDivElement} */ (dom.guide).classList.toggle('docked', on); needFit = true; }
    dockList.dataset.count = String(units.length);
  }

  // ---------------------------------------------------------------- fitting the guided stage (full mode)
  // The narration, the picture and the dock share one box as high as the window below the page's
  // top (the main page) or the embed's box (a fixed height): the picture gets compact rows, then is
  // scaled down, when it would not fit.
  let needFit = true, revealStage = false;
  // [unit, node]: a looked-at part of a docked unit, scrolled into view inside it (again while the
  // panel's text settles, for a second after the stop: its lines above it may still grow).
  /** @type {[Element, Element][]} */
  let dockReveal = [];
  let dockRevealUntil = 0;
  function revealInDock() {
    log?.stick(); // the newest events, not the first ones, when a stop opens the log
    for (const [unit, node] of dockReveal) {
      const u = unit.getBoundingClientRect(), n = node.getBoundingClientRect();
      const topShows = n.top >= u.top && n.top <= u.bottom - Math.min(n.height, 48); // enough of it shows from its top
      if (!topShows) unit.scrollTop += n.bottom > u.bottom && n.height < u.height ? n.bottom - u.bottom + 8 : n.top - u.top - 8;
    }
    if (performance.now() > dockRevealUntil) dockReveal = [];
  }
  function fitStage() {
    needFit = false;
    if (!dom.dock || !stops.length) return;
    const guide = /** @type {HTMLDivElement} */ (dom.guide);
    const stacked = getComputedStyle(guide).gridTemplateColumns.split(' ').length < 2;
    let avail = 0;
    if (opts.page) {
      const top = guide.getBoundingClientRect().top + scrollY; // where the stage starts with the page at the top
      avail = Math.max(340, innerHeight - top - 8);
    } else if (mount.classList.contains('kp-scroll')) {
      const bar = dom.timebar.getBoundingClientRect().height;
      avail = Math.max(320, mount.clientHeight - bar - 30);
    }
    if (!avail) { guide.style.height = ''; if (view.setFit(Infinity)) { menu.place(); S.dirty = true; } return; }
    fitTo(avail, stacked);
    // Stacked (a narrow window: the dock sits under the picture) the stage may still not fit, the
    // picture being as small as it gets: then the page's top scrolls away and only the sticky time
    // bar stays above the stage (showStage scrolls there).
    if (opts.page && stacked && guide.scrollHeight > guide.clientHeight + 1) {
      const above = dom.timebar.previousElementSibling;
      const gTop = guide.getBoundingClientRect().top + scrollY;
      const barTop = above ? Math.max(0, above.getBoundingClientRect().bottom + scrollY + parseFloat(getComputedStyle(above).marginBottom)) : 0;
      fitTo(Math.max(340, innerHeight - (gTop - Math.min(gTop, barTop)) - 4), stacked);
      revealStage = true;
    }
  }
  /** @param {number} avail @param {boolean} stacked */
  function fitTo(avail, stacked) {
    /** @type {HTMLDivElement} */ (dom.guide).style.height = `${avail}px`;
    const narrH = dom.narr.hidden ? 0 : dom.narr.getBoundingClientRect().height + 8;
    const chrome = dom.cluster.getBoundingClientRect().height - viewport.getBoundingClientRect().height;
    const dockH = stacked && !/** @type {HTMLElement} */ (dom.dock).hidden ? Math.max(170, Math.round(avail * 0.3)) + 8 : 0;
    if (view.setFit(avail - narrH - chrome - dockH - 2)) { menu.place(); S.dirty = true; }
  }

  /** Scrolls the page so the whole guided stage is on screen (below the sticky time bar). */
  function showStage() {
    revealStage = false;
    const guide = /** @type {HTMLDivElement} */ (dom.guide);
    if (!opts.page) {
      const r = guide.getBoundingClientRect();
      if (r.top < 0 || r.bottom > innerHeight) guide.scrollIntoView({ block: 'nearest' });
      return;
    }
    const r = guide.getBoundingClientRect(), bar = dom.timebar.getBoundingClientRect();
    const docTop = r.top + scrollY;
    const stuck = bar.height + 10; // the time bar sticks at the top
    if (r.top >= Math.min(bar.bottom, stuck) - 1 && r.bottom <= innerHeight + 1) return;
    const lowest = docTop + r.height - innerHeight; // the least scroll that shows its bottom
    const y = lowest <= 0 ? 0 : Math.min(lowest, docTop - stuck - 4);
    scrollTo({ top: y, behavior: reducedMotion.matches ? 'auto' : 'smooth' });
  }

  /** Whether `node` is entirely out of the window (or out of a fixed-height embed's box). @param {Element} node */
  function offScreen(node) {
    const r = node.getBoundingClientRect();
    if (r.bottom < 0 || r.top > innerHeight) return true;
    if (!mount.classList.contains('kp-scroll')) return false;
    const b = mount.getBoundingClientRect();
    return r.bottom < b.top || r.top > b.bottom;
  }

  /** The guided stage is fitted again when what sits above it or in it changes size (after the picture's own observer). */
  function watchSizes() {
    if (!dom.dock || !stops.length) return;
    const refit = () => { needFit = true; S.dirty = true; schedule(); };
    const fro = new ResizeObserver(refit);
    for (const e of [dom.narr, dom.timebar, dom.error, dom.live, mount]) fro.observe(e);
    cleanups.push(() => fro.disconnect());
    listen(window, 'resize', refit);
  }

  return {
    /** Whether the run tells a guided story (narration stops). */
    guided: stops.length > 0,
    /** Stepping through the stops: playing pauses at the next one (false while an autoplaying embed's narration follows the clock). */
    get stepping() { return stepping; },
    /** The stop shown (-1 before the first syncStop). */
    get stopK() { return stopK; },
    /** The stage wants fitting (fitStage) before the next draw. */
    get needFit() { return needFit; },
    /** The page should scroll the stage into view (showStage) after the next draw. */
    get revealStage() { return revealStage; },
    /** A looked-at part of a docked panel is being kept in view (revealInDock after the panels' new text). */
    get revealing() { return dockReveal.length > 0; },
    stopTime,
    stopAfter,
    syncStop,
    applyLook,
    fitStage,
    showStage,
    revealInDock,
    /** Fits the guided stage again (the page above it changed). */
    refit() { needFit = true; S.dirty = true; schedule(); },
    watchSizes,
  };
}
