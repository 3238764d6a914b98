// @ts-check
// One playground instance's DOM, built once by createPlayground (app.js): the time bar, the cluster
// card (canvas, broker headers, the live strip, the legend), the panels and, in full mode, the dock a
// guided stop's panels move into. buildDom returns the parts by name (Dom); nothing here reacts to
// the run. renderFatal: the message shown instead when the engine cannot even be loaded.
import { EPOCH_COLORS, MSG_STYLES, drawMarker, drawCrown } from './render.js';
import { h, el } from './dom.js';

/**
 * @typedef {object} Dom The parts of one instance's DOM (buildDom). Those marked "full" exist in full mode only.
 * @property {HTMLDivElement} panic
 * @property {HTMLSpanElement} errText
 * @property {HTMLButtonElement} errClose
 * @property {HTMLDivElement} error
 * @property {HTMLButtonElement} play
 * @property {HTMLButtonElement} step
 * @property {HTMLButtonElement | null} plus100
 * @property {HTMLButtonElement} plus1s
 * @property {HTMLButtonElement | null} plus10s
 * @property {HTMLSelectElement} speed
 * @property {HTMLSpanElement} clock
 * @property {HTMLSpanElement | null} seed
 * @property {HTMLDivElement} timebar
 * @property {HTMLElement} narr
 * @property {HTMLDivElement | null} runbar
 * @property {HTMLCanvasElement} canvas
 * @property {HTMLDivElement} heads
 * @property {HTMLDivElement} stage
 * @property {HTMLDivElement} stageScroll
 * @property {HTMLDivElement} legend
 * @property {HTMLUListElement} summary
 * @property {HTMLParagraphElement} quorum
 * @property {HTMLDetailsElement} legendBox
 * @property {HTMLDivElement} live
 * @property {HTMLElement} cluster
 * @property {HTMLDivElement} invariants
 * @property {Record<string, Element>} panels a guided stop's panel name → the element it outlines
 * @property {HTMLElement} [controls] full
 * @property {HTMLParagraphElement} [audit] full
 * @property {HTMLDivElement} [log] full
 * @property {HTMLDivElement} [metrics] full
 * @property {HTMLDivElement} [group] full
 * @property {HTMLDivElement} [reassign] full
 * @property {HTMLPreElement} [describe] full
 * @property {HTMLPreElement} [describeGroups] full
 * @property {HTMLParagraphElement} [segmentsHead] full
 * @property {HTMLUListElement} [segments] full
 * @property {Record<string, Element>} [dockUnits] full: panel name → the block the dock takes
 * @property {HTMLDivElement} [dockList] full
 * @property {HTMLElement} [dock] full
 * @property {HTMLDivElement} [guide] full
 */

/**
 * Builds the playground's DOM into `mount` and returns the parts by name. `mode`:
 * 'full' (everything: the main page) or 'minimal' (cluster view, play/pause/step, clock,
 * broker fault menu, invariants line). `page`: the main page (landmarks, sticky time bar).
 * @param {HTMLElement} mount @param {string} mode @param {boolean} page @param {HTMLElement | null | undefined} caption
 * @returns {Dom}
 */
export function buildDom(mount, mode, page, caption) {
  const full = mode === 'full';
  const r = /** @type {Dom} */ ({});
  r.panic = h('div', { id: 'panic', class: 'panic', role: 'alert', hidden: true });
  r.errText = h('span', { id: 'error-text' });
  r.errClose = h('button', { type: 'button', id: 'error-close', class: 'icon', 'aria-label': 'Dismiss message', hidden: true });
  r.error = h('div', { class: 'error', 'data-testid': 'error', role: 'alert', 'aria-live': 'assertive' }, r.errText, r.errClose);

  /** @param {string} id @param {string} testid @param {string} text @param {string} title @param {string} [cls] */
  const btn = (id, testid, text, title, cls) => h('button', { type: 'button', id, 'data-testid': testid, class: cls, title, text });
  r.play = btn('play', 'play', 'Play', 'Play or pause simulated time (Space)', 'primary');
  r.play.setAttribute('aria-pressed', 'false');
  r.play.setAttribute('aria-label', 'Play / pause');
  r.step = btn('step', 'step', 'step 1 event', 'Process exactly one event (→ key)');
  r.plus100 = full ? btn('plus100', 'step-100ms', '+100 ms', 'Advance 100 ms of simulated time') : null;
  r.plus1s = btn('plus1s', 'step-1s', '+1 s', 'Advance 1 s of simulated time');
  r.plus10s = full ? btn('plus10s', 'step-10s', '+10 s', 'Advance 10 s of simulated time') : null;
  r.speed = h('select', { id: 'speed', 'data-testid': 'speed', title: 'Simulated time per real second' });
  r.clock = h('span', { class: 'clock', 'data-testid': 'clock', id: 'clock', title: 'Simulated time since start', text: 't+0.000 s' });
  r.seed = page ? null : h('span', { class: 'seed', 'data-testid': 'seed', title: 'The seed of this run: the same seed and the same actions give the same run' });
  r.timebar = h('div', { class: 'timebar', role: 'toolbar', 'aria-label': 'Simulated time' },
    .../** @type {HTMLButtonElement[]} */ ([r.play, r.step, r.plus100, r.plus1s, r.plus10s].filter(Boolean)),
    h('span', { class: 'speed-ctl' }, h('label', { for: 'speed', text: 'speed' }), r.speed), ...(r.seed ? [r.seed] : []), r.clock);
  const timebar = r.timebar;
  // The guided scenario's narration (filled and shown by guide-controller.js when the run has a story).
  r.narr = h('section', { id: 'narration' });
  // Full mode: guided scenarios, Copy link and Export, above the time bar.
  r.runbar = full ? h('div', { class: 'runbar', role: 'group', 'aria-label': 'Scenarios and sharing' }) : null;

  r.canvas = h('canvas', { id: 'canvas', role: 'img', 'aria-label': 'Cluster view: brokers as columns, partitions as rows; see the partition summary below for the same information in words.' });
  r.heads = h('div', { class: 'heads', id: 'heads' });
  r.stage = h('div', { class: 'stage', id: 'stage' }, r.canvas, r.heads);
  r.stageScroll = h('div', { class: 'stage-scroll' }, r.stage); // scrolls sideways when the columns would be too narrow
  r.legend = h('div', { class: 'legend', id: 'legend' });
  r.summary = h('ul', { class: 'sr-only', id: 'summary', 'aria-label': 'Partition summary' });
  r.quorum = h('p', { class: 'sr-only', 'data-testid': 'controller-quorum', hidden: true }); // the controller quorum in words
  // Full mode: open (guide-controller.js closes it in a guided scenario, where the stage needs the room).
  const legendBox = h('details', { class: 'legend-details', open: full }, h('summary', { text: 'How to read this picture' }), r.legend);
  r.legendBox = legendBox;
  // The producer's card and the running timers, right under the picture (both modes).
  r.live = h('div', { class: 'live', 'data-testid': 'live-strip', 'aria-live': 'polite', 'aria-label': 'Producer and timers' });
  r.cluster = h('section', { class: 'cluster card', 'aria-labelledby': 'cluster-h' },
    h('h2', { id: 'cluster-h', class: 'sr-only', text: 'Cluster' }), r.stageScroll, r.live,
    h('p', { class: 'scroll-hint', 'aria-hidden': 'true', text: '⇆ scroll the picture sideways to see every broker' }), legendBox, r.summary, r.quorum);
  const cluster = r.cluster;
  r.invariants = h('div', { id: 'invariants', 'data-testid': 'invariants', role: 'status', 'data-ok': 'true' });

  /** @type {HTMLElement[]} */
  const kids = [r.panic, r.error];
  if (caption) kids.push(caption);
  if (r.runbar) kids.push(r.runbar);
  kids.push(timebar);
  /** @type {HTMLElement} */
  let layout;
  if (full) {
    r.controls = h('aside', { class: 'controls card', id: 'controls', 'aria-label': 'Controls' });
    r.audit = h('p', { id: 'audit', class: 'audit', 'data-testid': 'audit' });
    r.log = h('div', { id: 'log' });
    r.metrics = h('div', { id: 'metrics', 'data-testid': 'metrics', class: 'metrics' });
    r.group = h('div', { id: 'consumer-group' });
    r.reassign = h('div', { id: 'reassign' });
    r.describe = h('pre', { id: 'describe', 'data-testid': 'describe', tabindex: '0' });
    r.describeGroups = h('pre', { id: 'describe-groups', class: 'describe', 'data-testid': 'describe-groups', tabindex: '0' });
    r.segmentsHead = h('p', { id: 'segments-head', class: 'seg-head' });
    r.segments = h('ul', { id: 'segments', class: 'segments', 'data-testid': 'segments', 'aria-label': 'Segment files of partition 0 of the shown topic' });
    const code = (/** @type {string} */ t) => h('code', { text: t });
    const panels = h('section', { class: 'panels', 'aria-label': 'Panels' },
      h('div', { class: 'card panel-inv' }, h('h2', { text: 'Invariants' }), r.invariants, r.audit),
      h('div', { class: 'card panel-log' }, h('h2', { text: 'Event log' }), r.log),
      h('div', { class: 'card panel-metrics' }, h('h2', { text: 'Metrics' }), r.metrics),
      h('div', { class: 'card panel-group' }, h('h2', { text: 'Consumer group' }), r.group),
      h('div', { class: 'card panel-reassign' }, h('h2', {}, code('kafka-reassign-partitions.sh')), r.reassign),
      h('div', { class: 'card panel-describe' },
        h('h2', {}, code('kafka-topics.sh --describe')), r.describe,
        h('h3', { class: 'seg-h' }, code('kafka-consumer-groups.sh --describe --all-groups')), r.describeGroups,
        h('div', { class: 'seg-box' }, h('h3', { class: 'seg-h', text: 'Log segments' }), r.segmentsHead, r.segments)));
    r.panels = {
      invariants: panels.children[0], audit: r.audit, events: panels.children[1], metrics: panels.children[2],
      'consumer-group': panels.children[3], reassignments: panels.children[4], describe: r.describe, segments: /** @type {HTMLElement} */ (r.segments.parentElement), // the .seg-box
    };
    // What a guided stop's panel moves into the dock (the block around the named element).
    r.dockUnits = {
      invariants: panels.children[0], audit: panels.children[0], events: panels.children[1], metrics: panels.children[2],
      'consumer-group': panels.children[3], reassignments: panels.children[4], describe: wrapDescribe(panels.children[5]), segments: /** @type {HTMLElement} */ (r.segments.parentElement),
    };
    // Guided scenarios: the panels a stop points at open here, beside the picture (see guide-controller.js applyLook).
    r.dockList = h('div', { class: 'dock-list' });
    r.dock = h('aside', { class: 'dock', 'data-testid': 'dock', 'aria-label': 'Panels this step points at', hidden: true },
      h('p', { class: 'dock-head', text: 'This step points at' }), r.dockList);
    r.guide = h('div', { class: 'guide-stage' }, h('div', { class: 'cluster-col' }, r.narr, cluster), r.dock);
    layout = h(page ? 'main' : 'div', { class: 'layout' }, r.guide, r.controls, panels);
  } else {
    const invLine = h('div', { class: 'inv-line card', 'aria-label': 'Invariants' }, r.invariants);
    r.panels = { invariants: invLine };
    layout = h('div', { class: 'layout layout-minimal' }, r.narr, cluster, invLine);
  }
  kids.push(layout);
  mount.replaceChildren(...kids);
  return r;
}

/** Puts the describe card's first heading and console in a box of their own (a dock unit). @param {Element} card */
function wrapDescribe(card) {
  const box = h('div', { class: 'describe-box' });
  card.prepend(box);
  const h2 = /** @type {Element} */ (box.nextElementSibling);
  box.append(h2, /** @type {Element} */ (h2.nextElementSibling)); // the h2 and pre#describe
  return box;
}

/** Shows only a message in `mount` (when the engine cannot even be loaded). @param {HTMLElement} mount @param {string} message */
export function renderFatal(mount, message) {
  const text = h('span', { id: 'error-text', text: message });
  mount.replaceChildren(h('div', { class: 'error on', 'data-testid': 'error', role: 'alert' }, text));
}

/** The legend under the canvas: how to read cells, borders and dots. @param {HTMLElement} root @param {boolean} full @param {boolean} quorum */
export function buildLegend(root, full, quorum) {
  /** @param {string} color @param {string} text @param {string} [cls] */
  const swatch = (color, text, cls = 'sw') => { const s = el('span', cls); s.style.background = color; const w = el('span', 'lg'); w.append(s, text); return w; };
  /** @param {(ctx: CanvasRenderingContext2D) => void} draw */
  const icon = (draw) => {
    const c = el('canvas', 'icon-c');
    const d = window.devicePixelRatio || 1;
    c.width = 14 * d; c.height = 14 * d;
    const x = /** @type {CanvasRenderingContext2D} */ (c.getContext('2d')); x.scale(d, d); draw(x);
    c.setAttribute('aria-hidden', 'true');
    return c;
  };
  /** @param {string} cls @param {string} text */
  const box = (cls, text) => { const w = el('span', 'lg'); w.append(el('span', `bx ${cls}`), text); return w; };
  const l1 = el('p');
  l1.append(el('strong', '', 'Read it: '), 'a column is a broker, a row is a partition, a strip is one replica\'s log (newest on the right), one cell per record, coloured by the ',
    el('em', '', 'leader epoch'), ' that wrote it: ');
  EPOCH_COLORS.slice(0, 4).forEach((c, i) => l1.append(swatch(c, `${i}`)));
  l1.append('…  Solid cells are ', el('strong', '', 'committed'), ' (below the high watermark ', el('strong', '', 'HW'), ': on every in-sync replica, acknowledged to acks=all, readable); pale ones are not yet. ',
    el('strong', '', 'LEO'), ' = log end offset.');
  const l2 = el('p');
  const crown = el('span', 'lg'); crown.append(icon((x) => drawCrown(x, 1, 3)), 'leader');
  l2.append(el('strong', '', 'Borders: '), crown, box('bx-leader', 'leader (always in the ISR)'), box('bx-isr', 'in the ISR (in-sync replicas)'),
    box('bx-out', 'out of sync'), box('bx-elr', 'ELR (eligible leader replica)'));
  const l3 = el('p');
  l3.append(el('strong', '', 'Messages in flight: '));
  const kinds = ['Produce', 'Fetch', 'ConsumerFetch', 'AlterPartition', 'MetadataUpdate', 'BrokerHeartbeat', ...(quorum ? ['QuorumFetch'] : []), 'Disconnected'];
  for (const k of kinds) { const w = el('span', 'lg'); w.append(icon((x) => drawMarker(x, k, 7, 7, 4)), /** @type {{label: string}} */ (MSG_STYLES.find((m) => m.re.test(k))).label); l3.append(w); }
  const resp = el('span', 'lg'); resp.append(icon((x) => drawMarker(x, 'FetchResponse', 7, 7, 4)), 'hollow = response');
  const cut = el('span', 'lg'); cut.append(el('span', 'bx bx-cut'), 'cut link');
  l3.append(resp, cut, el('span', 'lg hint', full ? '(default latency is 1–3 ms: slow down or use “slow motion” in Network to see them)' : '(default latency is 1–3 ms: slow down to see them)'));
  const l4 = el('p');
  l4.append(el('strong', '', 'Segments: '), 'a thin divider where a log segment starts, a dashed outline around the active segment (the one being written), ',
    'a hollow cell with × for a tombstone (a null-value record, for compaction), and a dotted purple line at the cleaner checkpoint (compacted | dirty).',
    full ? ' Set segment.bytes and retention.ms under Topic to watch segments roll and be deleted (the log start moves).' : '');
  root.append(l1, l2, l3, l4);
  if (quorum) {
    const l5 = el('p');
    l5.append(el('strong', '', 'Controllers: '), 'the KRaft voters replicate the metadata log with Raft. ',
      el('strong', '', '★ active'), ' is the quorum leader, the one controller brokers talk to; ', el('strong', '', 'standby'),
      ' voters follow it (or hold a pre-vote or vote when it is gone); ', el('strong', '', 'crashed'), ' ones are down. ',
      'eN / epoch N is the voter\'s quorum epoch, and the heading shows the controller epoch. A new controller needs a majority of the voters. Click a voter to crash or restart it.');
    root.append(l5);
  }
}
