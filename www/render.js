// @ts-check
// Cluster view on one canvas: brokers are columns, partitions are rows, and each
// replica's log tail is a strip of offset cells coloured by leader epoch. Above the
// columns, the network: controller, producer and readers, links, cuts, and the
// messages in flight as moving dots. Broker headers are real buttons laid over it.
// With a KRaft controller quorum (sim.controllers > 1) the controller box is a group of
// voters, each a button too (active ★, standby or crashed, its Raft state and epoch).
import { h, el } from './dom.js';

/** @typedef {CanvasRenderingContext2D} Ctx */
/** Float64Array frame (pg.frame()) and Int32Array tails (one leader epoch per offset cell, -1: none). */
/** @typedef {Float64Array} Frame */
/** @typedef {Int32Array} Tails */
/**
 * @typedef {object} MsgStyle A message kind's marker.
 * @property {RegExp} [re]
 * @property {string} color
 * @property {string} shape circle, square, diamond, triangle or cross
 * @property {string} [label]
 * @property {boolean} [small]
 * @property {boolean} [hollow] a response
 */
/** @typedef {{x0: number, y0: number, cx: number, cy: number, x1: number, y1: number}} Link A quadratic curve between two nodes. */
/** @typedef {{x: number, y: number, kind?: string}} Port Where a node's links start. */
/** @typedef {{x: number, y: number, w: number, h: number, name: string, quorum?: boolean, sub?: string, fill?: string, stroke?: string}} NodeBox */
/** @typedef {{i0: number, i1: number, x: number, w: number}} GapRun A run of removed offsets in a squeezed compacted row. */
/**
 * @typedef {object} Geometry The picture's geometry (layout()), or a partition row's window (rowWindow(), gapWindow()).
 * @property {number} W
 * @property {number} H
 * @property {number} gl left gutter
 * @property {number} gr right gutter
 * @property {number} colW
 * @property {number} bandH
 * @property {number} headH
 * @property {boolean} compact
 * @property {number} rowH
 * @property {number} rowsTop
 * @property {number} cw cell width
 * @property {number} K offsets in the window
 * @property {(this: Geometry, i: number) => number} at x of offset i of the window
 * @property {(this: Geometry, i: number) => number} wd width of offset i's cell
 * @property {Geometry} [small] compact rows (internal topics)
 * @property {Geometry} [parent] the row geometry a window was made from
 * @property {number} [sw] strip width
 * @property {Float32Array} [xs]
 * @property {Float32Array} [ws]
 * @property {GapRun[]} [gaps]
 * @property {number} [readAt] cells this wide show keys
 * @property {boolean} [keyRuns]
 */
/** @typedef {{y: number, h: number, g: Geometry, internal: boolean}} Row */
/** @typedef {{base: number, K: number, cw: number, maxLeo: number, tailBase: number, y: number, xs?: Float32Array, gaps?: GapRun[], readAt: number}} RowWin */
/**
 * @typedef {object} BrokerHead A broker's header button and its parts.
 * @property {HTMLButtonElement} btn
 * @property {HTMLSpanElement} status
 * @property {HTMLSpanElement} led
 * @property {HTMLSpanElement} unfl
 * @property {Text} nameText
 * @property {HTMLSpanElement | null} rack
 * @property {string} rackName
 * @property {HTMLSpanElement} name
 * @property {HTMLSpanElement} line
 * @property {string} last
 */
/** @typedef {{btn: HTMLButtonElement, epoch: HTMLSpanElement, state: HTMLSpanElement, last: string}} VoterHead */
/** @typedef {{x: number, y: number, w: number, h: number, oneHead: boolean, oneFoot: boolean, vx: number, vw: number, vh: number, ys: number[], foot: number}} QuorumGeometry */
/** @typedef {{cuts: [string, string][], slow: [string, string, number][], acks: string, trails: boolean, look?: Look | null}} Net */
/** @typedef {{pi: number, broker: number, ri: number, offset: number | null, gap: [number, number] | null}} Hit */

export const EPOCH_COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#9c755f', '#ff9da7'];
const PALE = EPOCH_COLORS.map((c) => mix(c, 0.65));

/** Broker status → colour (text and column tint); labels are the status names. */
/** @type {Record<string, string>} */
export const STATUS_COLORS = {
  online: '#137333', fenced: '#8f4f00', starting: '#1967d2', controlled_shutdown: '#8430ce',
  paused: '#007b83', crashed: '#c5221f', stopped: '#5f6368',
};
/** @type {Record<string, string>} */
const STATUS_TINT = { fenced: '#fef7e0', starting: '#e8f0fe', controlled_shutdown: '#f3e8fd', paused: '#e4f7fb', crashed: '#fce8e6', stopped: '#f1f3f4' };
const DOWN = new Set(['crashed', 'stopped']);

/** Message kinds → dot style (first match wins). Responses are drawn hollow. */
/** @type {(MsgStyle & {re: RegExp, label: string})[]} */
export const MSG_STYLES = [
  { re: /^Produce/, color: '#e8710a', shape: 'circle', label: 'Produce' },
  { re: /^Fetch/, color: '#1a73e8', shape: 'circle', label: 'Fetch (replication)' },
  { re: /^ConsumerFetch/, color: '#00897b', shape: 'square', label: 'ConsumerFetch' },
  { re: /^AlterPartition/, color: '#9334e6', shape: 'diamond', label: 'AlterPartition (ISR change)' },
  { re: /^Metadata/, color: '#188038', shape: 'triangle', label: 'Metadata' },
  { re: /^Broker/, color: '#80868b', shape: 'square', label: 'heartbeat / registration', small: true },
  { re: /^(QuorumFetch|PreVote|Vote|BeginQuorumEpoch|EndQuorumEpoch)/, color: '#795548', shape: 'diamond', label: 'KRaft quorum (QuorumFetch, votes)', small: true },
  { re: /./, color: '#d93025', shape: 'cross', label: 'Disconnected' },
];
/** @type {Map<string, MsgStyle>} */
const styleCache = new Map();
/** @param {string} kind @returns {MsgStyle} */
function msgStyle(kind) {
  let st = styleCache.get(kind);
  if (!st) {
    st = { .../** @type {MsgStyle} */ (MSG_STYLES.find((m) => m.re.test(kind))), hollow: kind.endsWith('Response') };
    styleCache.set(kind, st);
  }
  return st;
}

/** Lightens a #rrggbb colour towards white by `t`. @param {string} hex @param {number} t */
function mix(hex, t) {
  const n = parseInt(hex.slice(1), 16);
  const ch = (/** @type {number} */ s) => Math.round(((n >> s) & 255) * (1 - t) + 255 * t);
  return `rgb(${ch(16)},${ch(8)},${ch(0)})`;
}

/**
 * Draws one message marker centred on (x, y); shared with the legend icons.
 * @param {Ctx} ctx @param {string} kind @param {number} x @param {number} y @param {number} r
 */
export function drawMarker(ctx, kind, x, y, r) {
  const st = msgStyle(kind);
  if (st.small) r *= 0.8;
  ctx.beginPath();
  pathMarker(ctx, st, x, y, r);
  if (st.shape === 'cross' || st.hollow) {
    ctx.strokeStyle = st.color; ctx.lineWidth = 2; ctx.stroke();
    if (st.hollow && st.shape !== 'cross') { ctx.fillStyle = '#fff'; ctx.fill(); ctx.stroke(); }
  } else {
    ctx.fillStyle = st.color; ctx.fill();
  }
}

/**
 * Adds one marker's shape to the current path (drawDots fills many of one style at once).
 * @param {Ctx} ctx @param {MsgStyle} st @param {number} x @param {number} y @param {number} r
 */
function pathMarker(ctx, st, x, y, r) {
  if (st.shape === 'circle') { ctx.moveTo(x + r, y); ctx.arc(x, y, r, 0, 6.2832); }
  else if (st.shape === 'square') ctx.rect(x - r * 0.85, y - r * 0.85, r * 1.7, r * 1.7);
  else if (st.shape === 'diamond') { ctx.moveTo(x, y - r * 1.2); ctx.lineTo(x + r * 1.2, y); ctx.lineTo(x, y + r * 1.2); ctx.lineTo(x - r * 1.2, y); ctx.closePath(); }
  else if (st.shape === 'triangle') { ctx.moveTo(x, y - r * 1.1); ctx.lineTo(x + r, y + r * 0.8); ctx.lineTo(x - r, y + r * 0.8); ctx.closePath(); }
  else { ctx.moveTo(x - r, y - r); ctx.lineTo(x + r, y + r); ctx.moveTo(x + r, y - r); ctx.lineTo(x - r, y + r); }
}

/** A small crown (the leader badge) with its top-left corner at (x, y); 12×9 px. @param {Ctx} ctx @param {number} x @param {number} y */
export function drawCrown(ctx, x, y) {
  ctx.beginPath();
  ctx.moveTo(x, y + 9); ctx.lineTo(x, y + 2); ctx.lineTo(x + 3, y + 5); ctx.lineTo(x + 6, y);
  ctx.lineTo(x + 9, y + 5); ctx.lineTo(x + 12, y + 2); ctx.lineTo(x + 12, y + 9); ctx.closePath();
  ctx.fillStyle = '#f9ab00'; ctx.fill();
  ctx.strokeStyle = '#8a5a00'; ctx.lineWidth = 1; ctx.stroke();
}

/** A guided scenario's highlight (the same blue as the page's outlines around looked-at panels). */
const LOOK = '#1a73e8', LOOK_FILL = 'rgba(26,115,232,0.09)';
const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const SEG_LINE = 'rgba(32,33,36,0.7)', SEG_ACTIVE = '#6b4fbb', SEG_CLEANER = '#6b4fbb';
const MIN_CELL = 4; // px per offset cell at the least
const NUM_CELL = 14; // px: a cell this wide shows its offset
const READ_CELL = 30; // px: … and its key (and value when they fit)
const MAX_CELL = 64; // px: a few records fill the strip up to this width each
const CELL_STEPS = [6, 8, 12, 16, 24, 32, 48, 64, 96, 128]; // window sizes (offsets): cells resize in steps
const GAP_W = 12; // px: a run of offsets compaction removed, drawn as one torn slot
/** Uniform cells: offset i of the window starts at i·cw and is cw wide. @this {Geometry} @param {number} i */
function uniformAt(i) { return i * this.cw; }
/** @this {Geometry} */
function uniformWd() { return this.cw; }
const KEY_RUN_CELL = 6; // px: compacted rows label runs of one key over cells this narrow
const MIN_COL = 64; // px per broker column at the least (narrower: the view scrolls sideways)
const fmtSec = (/** @type {number} */ ms) => (ms >= 100000 ? `${Math.round(ms / 1000)} s` : `${(ms / 1000).toFixed(1)} s`);

export class ClusterView {
  // Set by setStructure() and layout() before any drawing.
  /** @type {IndexMaps} */
  idx;
  /** @type {Map<number, number>} */
  brokerCol; // broker id → column
  /** @type {Geometry} */
  g;
  /** @type {Row[] & {sectionAt?: {y: number, topic: string}[]}} */
  rows;
  /** @type {Map<string, Port>} */
  ports;
  /** @type {NodeBox[]} */
  boxes;
  /** @type {Map<string, Link>} */
  links;
  /** @type {NodeBox} */
  prod;
  /** @type {boolean} */
  tight;
  /** @type {number} */
  dpr;
  /** @type {number} */
  colLeft;

  /**
   * stage: positioned container; canvas inside it; headers: layer for the broker buttons;
   * viewport: the element whose width is available (the stage's horizontal scroller), or the stage.
   * @param {HTMLElement} stage @param {HTMLCanvasElement} canvas @param {HTMLElement} headers
   * @param {(id: number, button: HTMLButtonElement) => void} onBrokerClick @param {HTMLElement} [viewport]
   */
  constructor(stage, canvas, headers, onBrokerClick, viewport = stage) {
    this.stage = stage;
    this.canvas = canvas;
    this.headers = headers;
    this.onBrokerClick = onBrokerClick;
    this.viewport = viewport;
    this.ctx = /** @type {Ctx} */ (canvas.getContext('2d'));
    /** @type {Map<number, BrokerHead>} */
    this.buttons = new Map(); // broker id → {btn, status, led, unflushed}
    /** @type {string[]} */
    this.readers = [];
    /** @type {Structure | null} */
    this.s = null;
    /** @type {ReplicaStorageView[] | null} */
    this.storage = null; // pg.storage() (replica order), refreshed with the text views
    /** @type {Map<string, GhostView[]>} */
    this.ghostsBy = new Map(); // pg.ghosts() by "topic-partition@broker" (setGhosts)
    /** @type {Geometry[]} */
    this.winCache = []; // per partition row: its last window geometry (rowWindow)
    /** @type {(RowWin | null)[]} */
    this.rowWins = []; // per partition row, as last drawn: {base, K, cw, maxLeo, tailBase}
    /** @type {Map<number, number>} */
    this.pan = new Map(); // partition row → offsets the user scrolled back from the log end
    /** @type {Map<number, Map<number, RecordView>>} */
    this.recordsBy = new Map(); // replica index → Map(offset → pg.records() entry) (setRecords)
    /** @type {ControllerQuorumView | null} */
    this.quorum = null; // pg.controllerQuorum() with voters, or null (one controller: one box)
    /** @type {number[]} */
    this.voterIds = [];
    /** @type {Map<number, VoterHead>} */
    this.voterBtns = new Map(); // voter id → {btn, epoch, state, last}
    /** @type {Map<string, {x: number, y: number}>} */
    this.voterPorts = new Map(); // "controller-N" → left edge point, for the Raft traffic between voters
    /** @type {((id: number, button: HTMLButtonElement) => void) | null} */
    this.onVoterClick = null; // (id, button) → opens the voter's fault menu
    /** @type {QuorumGeometry | null} */
    this.qg = null; // the quorum group's geometry
    this.maxH = Infinity; // the height the picture should fit in (a guided stage), in px
    this.scale = 1; // < 1: the picture is drawn smaller to fit maxH
    /** @type {LookMark[]} */
    this.lookMarks = []; // [{name, node} | {name, pi} | {name, pi, broker}]: a guided stop's canvas targets
    /** @type {HTMLDivElement[]} */
    this.markEls = [];
    this.cutsSaid = '';
    this.slowSaid = '';
  }

  /** The height the picture must fit in (Infinity: its natural height). Returns whether the layout changed. @param {number} maxH */
  setFit(maxH) {
    const m = Number.isFinite(maxH) ? Math.max(120, Math.floor(maxH)) : Infinity;
    if (m === this.maxH) return false;
    this.maxH = m;
    this.layout();
    return true;
  }

  /**
   * A guided stop's canvas targets: an invisible box over each (the canvas draws the rings), named
   * by data-look-target (e.g. partition:orders-0, replica:orders-0@2, controller, consumer:1).
   * @param {LookMark[]} marks
   */
  setLookMarks(marks) {
    this.lookMarks = marks || [];
    for (const e of this.markEls) e.remove();
    this.markEls = this.lookMarks.map((m) => {
      const d = el('div', 'look-mark');
      d.dataset.lookTarget = m.name;
      d.setAttribute('aria-hidden', 'true');
      this.headers.append(d);
      return d;
    });
    this.placeLookMarks();
  }

  placeLookMarks() {
    const { g, s } = this;
    if (!g || !s) return;
    this.lookMarks.forEach((m, i) => {
      /** @type {{x: number, y: number, w: number, h: number} | null} */
      let r = null;
      if (m.node) { const b = this.boxes.find((x) => x.name === m.node); if (b) r = { x: b.x - 4, y: b.y - 4, w: b.w + 8, h: b.h + 8 }; }
      else if (m.broker !== undefined) {
        const row = this.rows[/** @type {number} */ (m.pi)], col = this.brokerCol.get(m.broker);
        if (row && col !== undefined) r = { x: g.gl + col * g.colW + 3, y: row.y + 2, w: g.colW - 6, h: row.h - 4 };
      } else if (this.rows[/** @type {number} */ (m.pi)]) { const row = this.rows[/** @type {number} */ (m.pi)]; r = { x: 2, y: row.y + 1, w: g.W - 4, h: row.h - 2 }; }
      const st = this.markEls[i].style;
      st.display = r ? '' : 'none';
      if (r) { st.left = `${r.x}px`; st.top = `${r.y}px`; st.width = `${r.w}px`; st.height = `${r.h}px`; }
    });
  }

  /**
   * The controller quorum (pg.controllerQuorum() when it has voters, else null), every frame:
   * voter buttons (made when the voters change), their texts, and where "controller" is.
   * @param {ControllerQuorumView | null} q
   */
  setQuorum(q) {
    const ids = q ? q.voters.map((v) => v.id) : [];
    const was = this.quorum?.active;
    this.quorum = q;
    if (ids.join() !== this.voterIds.join()) {
      this.voterIds = ids;
      this.buildVoters();
      this.layout();
    } else if (q && this.ports && was !== q.active) this.placeControllerPort();
    if (q && this.qg) this.updateVoters();
  }

  buildVoters() {
    for (const v of this.voterBtns.values()) v.btn.remove();
    this.voterBtns.clear();
    for (const id of this.voterIds) {
      const btn = h('button', { type: 'button', class: 'voter-head', 'data-testid': `controller-${id}`, 'aria-haspopup': 'menu' });
      const epoch = el('span', 'vepoch', '');
      const l1 = el('span', 'vl1');
      l1.append(el('span', 'vname', String(id)), epoch);
      const state = el('span', 'vstate', '');
      btn.append(l1, state);
      btn.addEventListener('click', () => this.onVoterClick?.(id, btn));
      this.headers.append(btn);
      this.voterBtns.set(id, { btn, epoch, state, last: '' });
    }
  }

  /** The voter buttons' words, fitted to their width (only when something changed). */
  updateVoters() {
    const { ctx } = this;
    const qg = /** @type {QuorumGeometry} */ (this.qg);
    const inner = qg.vw - 15; // padding, border and a little slack (DOM and canvas text differ slightly)
    for (const v of /** @type {ControllerQuorumView} */ (this.quorum).voters) {
      const h = this.voterBtns.get(v.id);
      if (!h) continue;
      const key = `${v.status}|${v.raft_state}|${v.epoch}|${inner}`;
      if (h.last === key) continue;
      h.last = key;
      const active = v.status === 'active';
      ctx.font = `600 12px ${FONT}`;
      const room = inner - ctx.measureText(String(v.id)).width - 6;
      ctx.font = `10.5px ${FONT}`;
      h.epoch.textContent = fitText(ctx, [`epoch ${v.epoch}`, `e${v.epoch}`], room);
      ctx.font = `${v.status === 'standby' ? '' : '600 '}10.5px ${FONT}`; // active and crashed words are bold
      const states = v.status === 'crashed' ? ['crashed'] : active ? [`★ active · ${v.raft_state}`, '★ active'] : [`standby · ${v.raft_state}`, v.raft_state, `${v.raft_state.slice(0, 5)}.`];
      h.state.textContent = fitText(ctx, states, inner);
      h.btn.dataset.status = v.status;
      h.btn.dataset.epoch = String(v.epoch);
      h.btn.dataset.raftState = v.raft_state;
      const said = v.status === 'crashed' ? `crashed (its disk keeps epoch ${v.epoch})`
        : `${active ? 'the active controller' : 'standby'}, Raft ${v.raft_state} in epoch ${v.epoch}${v.leader !== null && !active ? `, following ${v.leader}` : ''}`;
      const log = v.status === 'crashed' ? `metadata log end offset ${v.log_end_offset}` : `metadata log end offset ${v.log_end_offset}, committed up to ${v.high_watermark}`;
      h.btn.setAttribute('aria-label', `controller-${v.id}: ${said}; ${log}. Open fault menu`);
      h.btn.title = `controller-${v.id}: ${said}.\n${log[0].toUpperCase()}${log.slice(1)}.\nClick to crash or restart it.`;
    }
  }

  /** "controller" in links and messages: the active voter's machine (the group's edge when none is). */
  placeControllerPort() {
    const a = this.quorum?.active;
    const p = a !== null && a !== undefined ? this.ports.get(`controller-${a}`) : undefined;
    const qg = /** @type {QuorumGeometry} */ (this.qg);
    this.ports.set('controller', p || { x: qg.x + qg.w, y: qg.y + 10, kind: 'side' });
    this.links.clear();
  }

  /** New structure (brokers, partitions, replicas) and its field index maps. @param {Structure} s @param {IndexMaps} idx */
  setStructure(s, idx) {
    this.s = s; this.idx = idx;
    // Readers and consumers: boxes under the producer, in the right gutter.
    this.readers = s.nodes.filter((n) => n.startsWith('reader-') || n.startsWith('consumer-'));
    this.brokerCol = new Map(s.brokers.map((b, i) => [b.id, i]));
    this.headers.replaceChildren();
    this.buttons.clear();
    for (const b of s.brokers) {
      const btn = h('button', { type: 'button', class: 'broker-head', 'data-testid': `broker-${b.id}`, 'aria-haspopup': 'menu' });
      const nameText = document.createTextNode(`broker-${b.id}`);
      const name = el('span', 'bname');
      name.append(nameText);
      const rack = b.rack ? el('span', 'rack', ` rack ${b.rack}`) : null;
      if (rack) name.append(rack);
      const status = el('span', 'bstatus', '');
      const led = el('span', 'bled', '');
      const unfl = el('span', 'unfl', '');
      const line = el('span', 'bline');
      line.append(led, unfl);
      btn.append(name, status, line);
      btn.addEventListener('click', () => this.onBrokerClick(b.id, btn));
      this.headers.append(btn);
      this.buttons.set(b.id, { btn, status, led, unfl, nameText, rack, rackName: b.rack || '', name, line, last: '' });
    }
    for (const v of this.voterBtns.values()) this.headers.append(v.btn);
    this.layout();
  }

  /** Computes the geometry for the current width; call on resize and structure change. */
  layout() {
    const s = this.s;
    if (!s) return;
    const avail0 = Math.max(280, this.viewport.clientWidth);
    // Fitting a height (a guided stage): compact rows, then a smaller picture (scaled, at least 55 %).
    const natural = (/** @type {boolean} */ compactRows) => this.heightFor(s, avail0, compactRows);
    let scale = 1, forceCompact = false;
    if (Number.isFinite(this.maxH)) {
      if (natural(false) > this.maxH) forceCompact = true;
      const h = natural(forceCompact);
      if (h > this.maxH) scale = Math.max(0.55, this.maxH / h);
    }
    this.scale = scale;
    const avail = Math.floor(avail0 / scale);
    const nb = s.brokers.length;
    const narrow = avail < 560; // a phone or a narrow docs column
    const nv = this.voterIds.length;
    // Left gutter: controller (or the quorum's voters: a little wider), partition labels.
    const gl = nv ? (narrow ? 92 : avail < 760 ? 104 : 128) : narrow ? 64 : avail < 760 ? 84 : 104;
    const gr = narrow ? 66 : avail < 760 ? 78 : 96; // right gutter: producer, readers
    // Columns narrower than MIN_COL would be unreadable: the view gets wider and scrolls sideways.
    const W = Math.max(avail, gl + gr + nb * MIN_COL);
    this.stage.style.width = W > avail || scale < 1 ? `${W}px` : '';
    this.viewport.classList.toggle('wide', W > avail); // shows the "scroll sideways" hint (CSS)
    const colW = (W - gl - gr) / nb;
    // The controller quorum: a group box in the left gutter, a heading, one button per voter, a footer.
    /** @type {QuorumGeometry | null} */
    let qg = null;
    if (nv) {
      const ctx = this.ctx, w = gl - 7;
      ctx.font = `600 10.5px ${FONT}`;
      const oneHead = ctx.measureText('KRaft controllers · epoch 88').width <= w - 10;
      ctx.font = `10px ${FONT}`;
      const oneFoot = ctx.measureText('majority 3 of 5 · 5 running').width <= w - 10;
      const headH = oneHead ? 16 : 28, footH = oneFoot ? 15 : 26, vh = 30, gap = 4;
      const vy0 = 4 + headH + 2;
      const ys = this.voterIds.map((_, i) => vy0 + i * (vh + gap));
      const foot = vy0 + nv * (vh + gap) - gap + 3;
      qg = { x: 3, y: 4, w, h: foot + footH - 4, oneHead, oneFoot, vx: 13, vw: gl - 19, vh, ys, foot };
    }
    this.qg = qg;
    const bandH = Math.max(96, 52 + this.readers.length * 28 + 8, qg ? qg.y + qg.h + 12 : 0);
    const headH = 52; // three lines (name, status, leads) in the header button
    // Internal topics (__consumer_offsets) come last in the structure and are drawn as
    // compact rows under a small heading, so they never crowd out the user topics.
    const internal = new Set(s.topics.filter((t) => t.internal).map((t) => t.name));
    const userRows = s.partitions.filter((p) => !internal.has(p.topic)).length;
    const compact = forceCompact || userRows > 8 || colW < 120; // compact rows: no status words, no HW/LEO labels
    // Narrow columns: short broker names (b1, as on cut links) and status words without the dot.
    const tight = colW < 100;
    if (tight !== this.tight) {
      this.tight = tight;
      this.headers.classList.toggle('tight', tight);
      for (const [id, h] of this.buttons) { h.nameText.data = tight ? `b${id}` : `broker-${id}`; h.last = ''; }
    }
    this.fitRacks(colW - 8 - 20); // the header's width less its padding and border
    const rowH = compact ? 30 : 62;
    const rowsTop = bandH + headH + 6;
    const cw = Math.max(MIN_CELL, Math.min(12, Math.floor((colW - 24) / s.tail_cells)));
    const K = Math.max(4, Math.min(s.tail_cells, Math.floor((colW - 24) / cw)));
    /** @type {Geometry} */
    const g = { W, H: 0, gl, gr, colW, bandH, headH, compact, rowH, rowsTop, cw, K, at: uniformAt, wd: uniformWd };
    g.small = { ...g, compact: true, rowH: 30 };
    const small = g.small;
    /** @type {Row[] & {sectionAt?: {y: number, topic: string}[]}} */
    const rows = [];
    let y = rowsTop;
    /** @type {string | null} */
    let section = null;
    for (const p of s.partitions) {
      const inner = internal.has(p.topic);
      if (inner && section !== p.topic) { section = p.topic; rows.sectionAt = rows.sectionAt || []; rows.sectionAt.push({ y, topic: p.topic }); y += 18; }
      const rg = inner ? small : g;
      rows.push({ y, h: rg.rowH, g: rg, internal: inner });
      y += rg.rowH;
    }
    this.rows = rows;
    const H = y + 8;
    g.H = H; small.H = H;
    this.g = g;
    const dpr = window.devicePixelRatio || 1;
    this.dpr = dpr;
    this.canvas.width = Math.round(W * dpr);
    this.canvas.height = Math.round(H * dpr);
    this.canvas.style.height = `${H}px`;
    this.stage.style.height = `${H}px`;
    // Scaled: the stage keeps its geometry and is drawn smaller; its scroller takes the drawn size.
    this.stage.style.transform = scale < 1 ? `scale(${scale})` : '';
    this.stage.style.transformOrigin = scale < 1 ? '0 0' : '';
    this.viewport.style.height = scale < 1 ? `${Math.ceil(H * scale)}px` : '';
    this.stage.dataset.scale = scale.toFixed(3);
    s.brokers.forEach((b, i) => {
      const st = /** @type {BrokerHead} */ (this.buttons.get(b.id)).btn.style;
      st.left = `${gl + i * colW + 4}px`;
      st.top = `${bandH}px`;
      st.width = `${colW - 8}px`;
      st.height = `${headH - 6}px`;
    });
    // Node positions ("ports") and the links between them.
    /** @type {Map<string, Port>} */
    const ports = new Map();
    /** @type {NodeBox[]} */
    const boxes = [];
    this.voterPorts = new Map();
    if (qg) {
      // The group is what a guided scenario's "controller" rings; links leave from each voter.
      boxes.push({ x: qg.x, y: qg.y, w: qg.w, h: qg.h, name: 'controller', quorum: true });
      const q = qg;
      this.voterIds.forEach((id, i) => {
        const qg = q;
        const y = qg.ys[i] + qg.vh / 2;
        ports.set(`controller-${id}`, { x: qg.vx + qg.vw, y, kind: 'side' });
        this.voterPorts.set(`controller-${id}`, { x: qg.vx, y });
        const st = /** @type {VoterHead} */ (this.voterBtns.get(id)).btn.style;
        st.left = `${qg.vx}px`; st.top = `${qg.ys[i]}px`; st.width = `${qg.vw}px`; st.height = `${qg.vh}px`;
      });
      for (const v of this.voterBtns.values()) v.last = ''; // refit their words to the new width
    } else {
      const ctrl = { x: 8, y: 8, w: gl - 16, h: 40, name: 'controller', sub: '(KRaft)', fill: '#f1f3f4', stroke: '#5f6368' };
      boxes.push(ctrl);
      ports.set('controller', { x: ctrl.x + ctrl.w, y: ctrl.y + 22, kind: 'side' });
    }
    const prod = { x: W - gr + 8, y: 8, w: gr - 16, h: 40, name: 'producer-1', sub: '', fill: '#fef7e0', stroke: '#e8710a' };
    boxes.push(prod);
    ports.set('producer-1', { x: prod.x, y: prod.y + 30, kind: 'side' });
    this.readers.forEach((r, i) => {
      const cons = r.startsWith('consumer-');
      const box = { x: W - gr + 8, y: 56 + i * 28, w: gr - 16, h: 22, name: r, sub: '', fill: cons ? '#e8f0fe' : '#e0f2f1', stroke: cons ? '#1a73e8' : '#00897b' };
      boxes.push(box);
      ports.set(r, { x: box.x, y: box.y + 11, kind: 'side' });
    });
    s.brokers.forEach((b, i) => ports.set(`broker-${b.id}`, { x: gl + (i + 0.5) * colW, y: bandH - 4, kind: 'broker' }));
    this.ports = ports;
    this.boxes = boxes;
    this.links = new Map();
    this.prod = prod;
    if (qg) {
      this.placeControllerPort();
      if (this.quorum) this.updateVoters();
    }
    this.placeLookMarks();
  }

  /** The picture's height at width `avail` with normal or compact rows (the row math of layout()). @param {Structure} s @param {number} avail @param {boolean} compactRows */
  heightFor(s, avail, compactRows) {
    const nv = this.voterIds.length, narrow = avail < 560;
    const readers = s.nodes.filter((n) => n.startsWith('reader-') || n.startsWith('consumer-')).length;
    let qgBottom = 0;
    if (nv) qgBottom = 4 + 28 + 2 + nv * 34 - 4 + 3 + 26 + 12; // the tallest quorum group (two-line head and foot)
    const bandH = Math.max(96, 52 + readers * 28 + 8, qgBottom);
    const internal = new Set(s.topics.filter((t) => t.internal).map((t) => t.name));
    /** @type {string | null} */
    let section = null;
    let y = bandH + 52 + 6;
    for (const p of s.partitions) {
      const inner = internal.has(p.topic);
      if (inner && section !== p.topic) { section = p.topic; y += 18; }
      y += inner || compactRows ? 30 : 62;
    }
    return y + 8 + (narrow ? 0 : 0);
  }

  /** Broker headers: the rack beside the name in the words that fit (never cut off). @param {number} room */
  fitRacks(room) {
    const ctx = this.ctx;
    for (const [id, h] of this.buttons) {
      const rack = h.rack;
      if (!rack) continue;
      ctx.font = `700 13px ${FONT}`;
      const nameW = ctx.measureText(`${this.tight ? `b${id}` : `broker-${id}`}${this.tight ? '' : ' ▾'}`).width;
      ctx.font = `11px ${FONT}`;
      const r = h.rackName;
      const words = [` rack ${r}`, ` ${r}`].find((t) => nameW + ctx.measureText(t).width <= room);
      if (words) {
        rack.textContent = words;
        if (rack.parentElement !== h.name) { h.name.append(rack); h.last = ''; }
      } else { // on the third line, before "leads N"
        rack.textContent = `${r} · `;
        if (rack.parentElement !== h.line) { h.line.prepend(rack); h.last = ''; }
      }
    }
  }

  /** The replica under canvas point (x, y): {pi, broker}, or null. @param {number} x @param {number} y @returns {Hit | null} */
  hit(x, y) {
    const { g, s } = this;
    if (!s || y < g.rowsTop || x < g.gl) return null;
    const pi = this.rows.findIndex((r) => y >= r.y && y < r.y + r.h), col = Math.floor((x - g.gl) / g.colW);
    const p = s.partitions[pi], b = s.brokers[col];
    if (!(p && b && p.replicas.includes(b.id))) return null;
    // The offset under the pointer, when it is over the strip's cells.
    const w = this.rowWins[pi], x0 = g.gl + col * g.colW + 12;
    let i = -1;
    /** @type {GapRun | null} */
    let gap = null;
    if (w?.xs) { // a compacted row squeezed around its gaps
      const dx = x - x0, xs = w.xs;
      for (let k = 0; k < w.K; k++) if (dx >= xs[k] && dx < xs[k + 1]) { i = k; break; }
      gap = i >= 0 ? /** @type {GapRun[]} */ (w.gaps).find((q) => i >= q.i0 && i <= q.i1) ?? null : null;
    } else if (w) i = Math.floor((x - x0) / w.cw);
    const offset = w && i >= 0 && i < w.K && !gap ? w.base + i : null;
    return { pi, broker: b.id, ri: p.first_replica + p.replicas.indexOf(b.id), offset,
      gap: gap && w ? [w.base + gap.i0, w.base + gap.i1] : null };
  }

  /** The curve from node a to node b: {x0,y0,cx,cy,x1,y1}, or undefined for unknown nodes. @param {string} a @param {string} b @returns {Link | undefined} */
  link(a, b) {
    const key = `${a}|${b}`;
    let l = this.links.get(key);
    if (l === undefined) {
      const va = this.voterPorts.get(a), vb = this.voterPorts.get(b);
      if (va && vb) { // Raft traffic between two voters: a curve out of their left edges
        l = { x0: va.x, y0: va.y, cx: va.x - 18, cy: (va.y + vb.y) / 2, x1: vb.x, y1: vb.y };
        this.links.set(key, l);
        return l;
      }
      const p = this.ports.get(a), q = this.ports.get(b);
      if (!p || !q) return undefined;
      let cx, cy;
      if (p.kind === 'broker' && q.kind === 'broker') {
        // Arc above the headers, higher for brokers further apart.
        const dx = Math.abs(q.x - p.x);
        cx = (p.x + q.x) / 2;
        cy = p.y - Math.min(2 * (p.y - 12), 28 + 0.35 * dx);
      } else if (p.kind === 'broker') {
        cx = p.x; cy = q.y; // out of the node sideways, then down into the broker
      } else if (q.kind === 'broker') {
        cx = q.x; cy = p.y;
      } else {
        cx = (p.x + q.x) / 2; cy = Math.min(p.y, q.y) - 20;
      }
      l = { x0: p.x, y0: p.y, cx, cy, x1: q.x, y1: q.y };
      this.links.set(key, l);
    }
    return l;
  }

  /** Updates the DOM header buttons (only when their text changes). @param {Frame} f */
  updateHeaders(f) {
    const { idx } = this;
    const s = /** @type {Structure} */ (this.s);
    const L = s.layout;
    s.brokers.forEach((b, i) => {
      const o = L.broker_offset + i * L.broker_stride;
      const status = L.broker_status_codes[f[o + idx.b.status]] || 'unknown';
      const led = f[o + idx.b.partitions_led];
      const unfl = f[o + idx.b.unflushed];
      const disk = L.disk_state_codes[f[o + idx.b.disk]] || 'healthy';
      const key = `${status}|${led}|${unfl}|${disk}`;
      const h = /** @type {BrokerHead} */ (this.buttons.get(b.id));
      if (h.last === key) return;
      h.last = key;
      h.status.textContent = `${this.tight ? '' : '● '}${status.replace('_', ' ')}`;
      h.status.style.color = STATUS_COLORS[status] || '#000';
      const short = this.tight || h.rack?.parentElement === h.line; // the rack shares the line
      // A full or failed disk: its only log dir goes (or went) offline, so the broker halts.
      const bad = disk === 'full' || disk === 'failed';
      h.led.textContent = DOWN.has(status) ? (bad ? '' : short ? 'restart…' : 'click: restart…') : `leads ${led}`;
      h.unfl.textContent = bad ? `${DOWN.has(status) ? '' : ' · '}⚠ disk ${disk}${DOWN.has(status) ? ': log dir offline' : ''}`
        : disk === 'slow' ? ' · slow disk'
          : unfl > 0 && !DOWN.has(status) ? ` · ${unfl} unflushed` : '';
      h.unfl.style.color = bad ? '#b3261e' : disk === 'slow' ? '#8a5a00' : '';
      h.unfl.style.fontWeight = bad ? '600' : '';
      h.btn.dataset.status = status;
      h.btn.dataset.disk = disk;
      h.btn.setAttribute('aria-label', `broker-${b.id}${b.rack ? `, rack ${b.rack}` : ''}: ${status}, leads ${led} partition(s), ${unfl} record(s) not yet fsynced${disk === 'healthy' ? '' : `, disk ${disk}`}. Open fault menu`);
      const diskSays = disk === 'full' ? ' Its disk is full: the next write fails with KafkaStorageException, the log dir /tmp/kraft-combined-logs goes offline and the broker halts. Free space or replace the disk, then restart it.'
        : disk === 'failed' ? ' Its disk has failed: every I/O fails, so it halts and cannot start again until the disk is replaced.'
          : disk === 'slow' ? ' Its disk is slow: every write of fetched records stalls, so its follower replicas fall behind.' : '';
      h.btn.title = `broker-${b.id} is ${status}. Leads ${led} partition(s). ${unfl} record(s) are only in the page cache (lost on power loss).${diskSays} Click for faults.`;
    });
  }

  /**
   * Draws everything. f / tails: the frame views; flights: in-flight messages;
   * now: simulated ms (fractional while slowed down); net: {cuts, slow, acks, trails}.
   * @param {Frame} f @param {Tails} tails @param {InFlightMessage[]} flights @param {number} now @param {Net} net
   */
  draw(f, tails, flights, now, net) {
    const { ctx, g, s, idx } = this;
    if (!s) return;
    const L = s.layout;
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    ctx.clearRect(0, 0, g.W, g.H);
    ctx.textBaseline = 'middle';

    // Column tints by broker status.
    const status = s.brokers.map((b, i) => L.broker_status_codes[f[L.broker_offset + i * L.broker_stride + idx.b.status]]);
    status.forEach((st, i) => {
      const tint = STATUS_TINT[st];
      if (tint) {
        ctx.fillStyle = tint;
        ctx.fillRect(g.gl + i * g.colW + 2, g.bandH, g.colW - 4, g.H - g.bandH);
      }
    });

    const look = net.look;
    // Highlighted rows and replicas (a guided scenario's look_at): a soft band behind them.
    if (look) {
      ctx.fillStyle = LOOK_FILL;
      for (const pi of look.partitions) { const r = this.rows[pi]; if (r) ctx.fillRect(2, r.y + 1, g.W - 4, r.h - 2); }
      for (const key of look.replicas) {
        const [pi, b] = key.split(':').map(Number);
        const r = this.rows[pi], col = this.brokerCol.get(b);
        if (r && col !== undefined) ctx.fillRect(g.gl + col * g.colW + 3, r.y + 1, g.colW - 6, r.h - 2);
      }
    }

    this.drawNetwork(ctx, g, status, net);

    // Partition rows (those on screen: a big cluster's canvas is mostly scrolled away).
    const T = s.tail_cells;
    const [vy0, vy1] = this.visibleSpan();
    for (let pi = 0; pi < s.partitions.length; pi++) {
      const p = s.partitions[pi];
      const po = L.partition_offset + pi * L.partition_stride;
      const row = this.rows[pi], y = row.y, rg = row.g;
      if (y + row.h < vy0 || y > vy1) { this.rowWins[pi] = null; continue; }
      if (pi > 0) { ctx.fillStyle = '#e8eaed'; ctx.fillRect(4, y - 1, g.W - 8, 1); }
      this.drawRowLabel(ctx, rg, p, f, po, y, row.internal);
      // The window: the last K offsets up to the longest log (within the frame's tail cells).
      let maxLeo = 0;
      for (let k = 0; k < p.replicas.length; k++) maxLeo = Math.max(maxLeo, f[L.replica_offset + (p.first_replica + k) * L.replica_stride + idx.r.log_end_offset]);
      const tailBase = f[po + idx.p.tail_base];
      const compacted = !!this.storage?.[p.first_replica]?.cleanup_policy?.includes('compact');
      const held = compacted ? (/** @type {number} */ o) => { // does any replica hold offset o?
        const i = o - tailBase;
        for (let k = 0; k < p.replicas.length; k++) if (tails[(p.first_replica + k) * T + i] >= 0) return true;
        return false;
      } : null;
      const wg = this.rowWindow(pi, rg, maxLeo, tailBase, compacted, held);
      const base = Math.max(tailBase, maxLeo - wg.K - (this.pan.get(pi) || 0));
      this.rowWins[pi] = { base, K: wg.K, cw: wg.cw, maxLeo, tailBase, y, xs: wg.xs, gaps: wg.gaps, readAt: wg.readAt ?? READ_CELL };
      const epoch = f[po + idx.p.leader_epoch];
      for (let k = 0; k < p.replicas.length; k++) {
        const ri = p.first_replica + k;
        const col = this.brokerCol.get(p.replicas[k]);
        if (col === undefined) continue;
        const ro = L.replica_offset + ri * L.replica_stride;
        const down = DOWN.has(status[col]);
        this.drawReplica(ctx, wg, f, ro, tails, ri * T + (base - tailBase), base, g.gl + col * g.colW, y, epoch, down ? status[col] : '', this.storage?.[ri],
          this.ghostsBy.get(`${p.topic}-${p.partition}@${p.replicas[k]}`), this.recordsBy.get(ri), s.replicas[ri]?.reassignment ?? null);
      }
    }

    for (const sec of this.rows.sectionAt || []) { // the heading above internal topics
      ctx.fillStyle = '#f1f3f4'; ctx.fillRect(4, sec.y, g.W - 8, 16);
      ctx.fillStyle = '#5f6368'; ctx.font = `600 10.5px ${FONT}`; ctx.textAlign = 'left';
      ctx.fillText(`${sec.topic} (internal: consumer group offsets and coordinators, one group per partition by hash)`, 10, sec.y + 8);
    }

    if (look) this.drawLook(ctx, g, look);
    this.drawNoController(ctx, g);
    this.drawDots(ctx, flights, now, net.trails);
  }

  /** The part of the canvas on screen now, [top, bottom] in canvas px (with a margin). */
  visibleSpan() {
    const c = this.canvas.getBoundingClientRect();
    if (!c.height) return [0, Infinity];
    let top = 0, bottom = innerHeight;
    if (this.viewport && this.viewport !== this.stage) {
      const v = this.viewport.getBoundingClientRect();
      top = Math.max(top, v.top); bottom = Math.min(bottom, v.bottom);
    }
    const scale = c.height / (this.g.H || c.height);
    return [(top - c.top) / scale - 80, (bottom - c.top) / scale + 80];
  }

  /** Rings around what a guided scenario's stop looks at: controller, clients, rows, replicas. @param {Ctx} ctx @param {Geometry} g @param {Look} look */
  drawLook(ctx, g, look) {
    ctx.save();
    ctx.strokeStyle = LOOK; ctx.lineWidth = 3;
    /** @param {number} x @param {number} y @param {number} w @param {number} h */
    const ring = (x, y, w, h) => { ctx.beginPath(); ctx.roundRect(x, y, w, h, 7); ctx.stroke(); };
    for (const box of this.boxes) {
      if (look.nodes.has(box.name)) ring(box.x - 4, box.y - 4, box.w + 8, box.h + 8);
    }
    for (const pi of look.partitions) {
      const r = this.rows[pi];
      if (!r) continue;
      ctx.fillStyle = LOOK; ctx.fillRect(2, r.y + 2, 4, r.h - 4); // a bar at the row's left edge
      ring(2, r.y + 1, g.W - 4, r.h - 2);
    }
    for (const key of look.replicas) {
      const [pi, b] = key.split(':').map(Number);
      const r = this.rows[pi], col = this.brokerCol.get(b);
      if (r && col !== undefined) ring(g.gl + col * g.colW + 3, r.y + 2, g.colW - 6, r.h - 4);
    }
    ctx.restore();
  }

  /** @param {Ctx} ctx @param {Geometry} g @param {string[]} status @param {Net} net */
  drawNetwork(ctx, g, status, net) {
    const s = /** @type {Structure} */ (this.s);
    // Faint links first.
    ctx.lineWidth = 1;
    ctx.strokeStyle = '#dadce0';
    ctx.beginPath();
    const names = s.brokers.map((b) => `broker-${b.id}`);
    // With a quorum, brokers talk to the active controller only (none: no controller links).
    const others = this.quorum && (this.quorum.active === null || this.quorum.active === undefined) ? [] : ['controller'];
    others.push('producer-1', ...this.readers);
    for (let i = 0; i < names.length; i++) {
      for (const o of others) this.pathLink(ctx, this.link(o, names[i]));
      for (let j = i + 1; j < names.length; j++) this.pathLink(ctx, this.link(names[i], names[j]));
    }
    ctx.stroke();
    // Slow links and cuts, as the engine reports them.
    for (const [a, b, ms] of net.slow) this.markLink(ctx, a, b, '#e8710a', [2, 3], `slow +${ms} ms`);
    const slowSaid = net.slow.map(([a, b, ms]) => `${a}>${b}+${ms}`).join(' ');
    if (slowSaid !== this.slowSaid) { this.slowSaid = slowSaid; this.canvas.dataset.slow = slowSaid; } // what is drawn (tests read it)
    const said = net.cuts.map(([a, b]) => `${a}>${b}`).join(' ');
    if (said !== this.cutsSaid) { this.cutsSaid = said; this.canvas.dataset.cuts = said; } // what is drawn (tests read it)
    const seen = new Set();
    for (const [a, b] of net.cuts) {
      const pair = a < b ? `${a}|${b}` : `${b}|${a}`;
      if (seen.has(pair)) continue;
      seen.add(pair);
      const both = net.cuts.some(([x, y]) => x === b && y === a);
      this.markLink(ctx, a, b, '#d93025', [6, 4], both ? 'cut' : `cut ${short(a)}→${short(b)}`);
    }
    // Node boxes.
    for (const box of this.boxes) {
      if (box.quorum) { this.drawQuorum(ctx, box); continue; }
      ctx.fillStyle = /** @type {string} */ (box.fill); ctx.strokeStyle = /** @type {string} */ (box.stroke); ctx.lineWidth = 1.5;
      ctx.beginPath(); ctx.roundRect(box.x, box.y, box.w, box.h, 6); ctx.fill(); ctx.stroke();
      ctx.fillStyle = '#202124'; ctx.textAlign = 'center';
      const sub = box === this.prod ? `acks=${net.acks}` : box.sub;
      ctx.font = `600 11px ${FONT}`;
      if (ctx.measureText(box.name).width > box.w - 6) ctx.font = `600 9.5px ${FONT}`;
      if (ctx.measureText(box.name).width > box.w - 2) ctx.font = `600 8.5px ${FONT}`;
      ctx.fillText(box.name, box.x + box.w / 2, box.y + (sub ? 14 : box.h / 2));
      if (sub) { ctx.font = `10px ${FONT}`; ctx.fillText(sub, box.x + box.w / 2, box.y + 28); }
    }
    // Broker anchors.
    s.brokers.forEach((b, i) => {
      const p = /** @type {Port} */ (this.ports.get(`broker-${b.id}`));
      ctx.fillStyle = STATUS_COLORS[status[i]] || '#000';
      ctx.beginPath(); ctx.arc(p.x, p.y, 4, 0, 6.2832); ctx.fill();
    });
  }

  /** The quorum group: heading with the controller epoch, a footer with majority and running voters. */
  /** @param {Ctx} ctx @param {NodeBox} box */
  drawQuorum(ctx, box) {
    const q = this.quorum, qg = this.qg;
    if (!q || !qg) return;
    ctx.fillStyle = '#f8f9fa'; ctx.strokeStyle = '#5f6368'; ctx.lineWidth = 1.5;
    ctx.beginPath(); ctx.roundRect(box.x, box.y, box.w, box.h, 6); ctx.fill(); ctx.stroke();
    const x = box.x + 6, room = box.w - 10, n = q.voters.length;
    ctx.textAlign = 'left'; ctx.fillStyle = '#202124';
    ctx.font = `600 10.5px ${FONT}`;
    if (qg.oneHead) ctx.fillText(`KRaft controllers · epoch ${q.epoch}`, x, box.y + 9);
    else {
      ctx.fillText(fitText(ctx, ['KRaft controllers', 'controllers'], room), x, box.y + 9);
      ctx.font = `10px ${FONT}`; ctx.fillText(`epoch ${q.epoch}`, x, box.y + 21);
    }
    ctx.font = `10px ${FONT}`;
    const lacking = q.running < q.majority;
    const maj = `majority ${q.majority} of ${n}`, run = `${q.running} running`;
    if (qg.oneFoot) {
      ctx.fillStyle = lacking ? '#c5221f' : '#5f6368';
      ctx.fillText(`${maj} · ${run}`, x, qg.foot + 7);
    } else {
      ctx.fillStyle = '#5f6368'; ctx.fillText(fitText(ctx, [maj, `majority ${q.majority}/${n}`], room), x, qg.foot + 7);
      ctx.fillStyle = lacking ? '#c5221f' : '#5f6368'; ctx.fillText(run, x, qg.foot + 19);
    }
  }

  /** While the quorum has no active controller: a banner above the brokers saying for how long. */
  /** @param {Ctx} ctx @param {Geometry} g */
  drawNoController(ctx, g) {
    const q = this.quorum;
    if (!q || (q.active !== null && q.active !== undefined) || q.no_controller_for_ms === null) return;
    const left = g.gl + 6, right = g.W - g.gr - 6, room = right - left - 12, cx = (left + right) / 2;
    const t = fmtSec(q.no_controller_for_ms);
    ctx.font = `600 11px ${FONT}`;
    const l1 = fitText(ctx, [`No active controller for ${t}`, `No controller for ${t}`, `none for ${t}`], room);
    ctx.font = `10px ${FONT}`;
    const lacking = q.running < q.majority;
    const l2 = fitText(ctx, lacking
      ? [`only ${q.running} of ${q.voters.length} voters running; a majority is ${q.majority}`, `${q.running} of ${q.voters.length} run, majority ${q.majority}`, `${q.running} running`]
      : ['metadata changes (ISR, fencing, elections) wait', 'metadata changes wait', 'metadata waits'], room);
    ctx.font = `600 11px ${FONT}`;
    const w1 = ctx.measureText(l1).width;
    ctx.font = `10px ${FONT}`;
    const w = Math.max(w1, ctx.measureText(l2).width) + 12;
    ctx.fillStyle = '#fff'; ctx.strokeStyle = '#c5221f'; ctx.lineWidth = 1.5;
    ctx.beginPath(); ctx.roundRect(cx - w / 2, 4, w, 30, 6); ctx.fill(); ctx.stroke();
    ctx.textAlign = 'center'; ctx.fillStyle = '#c5221f';
    ctx.font = `600 11px ${FONT}`; ctx.fillText(l1, cx, 12);
    ctx.font = `10px ${FONT}`; ctx.fillText(l2, cx, 26);
  }

  /** @param {Ctx} ctx @param {Link | undefined} l */
  pathLink(ctx, l) {
    if (!l) return;
    ctx.moveTo(l.x0, l.y0);
    ctx.quadraticCurveTo(l.cx, l.cy, l.x1, l.y1);
  }

  /** A coloured dashed link with a label at its middle. @param {Ctx} ctx @param {string} a @param {string} b @param {string} color @param {number[]} dash @param {string} label */
  markLink(ctx, a, b, color, dash, label) {
    const l = this.link(a, b);
    if (!l) return;
    ctx.save();
    ctx.strokeStyle = color; ctx.lineWidth = 2; ctx.setLineDash(dash);
    ctx.beginPath(); this.pathLink(ctx, l); ctx.stroke();
    ctx.restore();
    const x = 0.25 * l.x0 + 0.5 * l.cx + 0.25 * l.x1, y = 0.25 * l.y0 + 0.5 * l.cy + 0.25 * l.y1;
    ctx.font = `600 10px ${FONT}`;
    const w = ctx.measureText(label).width + 6;
    ctx.fillStyle = '#fff'; ctx.fillRect(x - w / 2, y - 7, w, 14);
    ctx.fillStyle = color; ctx.textAlign = 'center'; ctx.fillText(label, x, y);
  }

  /** @param {Ctx} ctx @param {Geometry} g @param {PartitionRef} p @param {Frame} f @param {number} po @param {number} y @param {boolean} internal */
  drawRowLabel(ctx, g, p, f, po, y, internal) {
    const idx = this.idx.p;
    const name = internal ? `offsets-${p.partition}` : `${p.topic}-${p.partition}`;
    const mid = y + g.rowH / 2;
    ctx.textAlign = 'left';
    ctx.fillStyle = '#202124';
    ctx.font = `600 ${g.compact ? 11 : 12}px ${FONT}`;
    const offline = f[po + idx.offline] > 0, urp = f[po + idx.under_replicated] > 0;
    if (g.compact) {
      if (internal) { // no room for the epoch beside the longer name: a dot for offline / under-replicated only
        ctx.fillText(name, 10, mid);
        if (offline || urp) { ctx.fillStyle = offline ? '#d93025' : '#e37400'; ctx.beginPath(); ctx.arc(5, mid, 3, 0, 6.2832); ctx.fill(); }
        return;
      }
      if (ctx.measureText(name).width > g.gl - 12) ctx.font = `600 9.5px ${FONT}`; // a long topic name in a narrow gutter
      const nameFont = ctx.font;
      const nameW = ctx.measureText(name).width;
      const e = f[po + idx.leader_epoch];
      ctx.font = `10px ${FONT}`;
      const beside = 10 + nameW + 4 + ctx.measureText(`epoch ${e}`).width <= g.gl - 4;
      const under = !beside && g.rowH >= 30; // narrow gutter: the epoch under the name
      ctx.font = nameFont;
      ctx.fillText(name, 10, under ? mid - 6 : mid);
      ctx.font = `10px ${FONT}`; ctx.fillStyle = '#5f6368';
      if (beside) { ctx.textAlign = 'right'; ctx.fillText(`epoch ${e}`, g.gl - 4, mid); }
      else if (under) ctx.fillText(`epoch ${e}`, 10, mid + 7);
      ctx.textAlign = 'left';
      if (offline || urp) { ctx.fillStyle = offline ? '#d93025' : '#e37400'; ctx.beginPath(); ctx.arc(5, mid, 3, 0, 6.2832); ctx.fill(); }
      return;
    }
    const fit = (/** @type {string[]} */ texts) => texts.find((t) => ctx.measureText(t).width <= g.gl - 14) ?? texts[texts.length - 1];
    ctx.fillText(name, 10, mid - 14);
    ctx.font = `11px ${FONT}`;
    ctx.fillStyle = '#5f6368';
    const e = f[po + idx.leader_epoch];
    ctx.fillText(fit([`leader epoch ${e}`, `epoch ${e}`]), 10, mid + 1);
    if (offline || urp) {
      ctx.fillStyle = offline ? '#c5221f' : '#8f4f00';
      ctx.font = `600 10px ${FONT}`;
      ctx.fillText(offline ? 'OFFLINE' : fit(['under-replicated', 'under-repl.']), 10, mid + 15);
    }
  }

  /**
   * One replica in its broker column: status line, the log strip, HW/LEO markers.
   * Layers are drawn in order: cells, segments (st: this replica's pg.storage() entry), markers.
   * @param {Ctx} ctx @param {Geometry} g @param {Frame} f @param {number} ro @param {Tails} tails @param {number} t0
   * @param {number} base @param {number} colX @param {number} y @param {number} epoch @param {string} downStatus
   * @param {ReplicaStorageView | undefined} st @param {GhostView[] | undefined} ghosts @param {Map<number, RecordView> | undefined} recs
   * @param {'adding' | 'removing' | null} [role] in a reassignment: a replica being added (blue, dashed) or removed (grey, faded)
   */
  drawReplica(ctx, g, f, ro, tails, t0, base, colX, y, epoch, downStatus, st, ghosts, recs, role = null) {
    const r = this.idx.r;
    const present = f[ro + r.present] > 0;
    const x0 = colX + 12;
    const sw = g.sw ?? g.K * g.cw;
    const tall = !g.compact && g.cw >= NUM_CELL; // readable cells: two lines (offset; key)
    const sy = g.compact ? y + 8 : tall ? y + 18 : y + 20;
    const sh = g.compact ? 14 : tall ? 25 : 18;
    const inIsr = f[ro + r.in_isr] > 0, inElr = f[ro + r.in_elr] > 0, leader = f[ro + r.is_leader] > 0;
    // Box: border style shows ISR membership.
    let stroke = '#d93025', dash = [5, 3], fill = '#fce8e6', lw = 1.5;
    if (!present) { stroke = '#9aa0a6'; dash = [2, 3]; fill = '#fff'; }
    else if (leader) { stroke = '#c98f00'; dash = []; fill = '#fff'; lw = 2.5; }
    else if (inIsr) { stroke = '#1e8e3e'; dash = []; fill = '#fff'; lw = 2; }
    else if (inElr) { stroke = '#e37400'; dash = [5, 3]; fill = '#fef7e0'; }
    // A reassignment's new replica: blue and dashed until it is in the ISR (then the ISR border,
    // still dashed until the move completes); a replica being removed: grey and dashed.
    if (present && role === 'adding') { if (!inIsr) { stroke = '#1a73e8'; fill = '#e8f0fe'; lw = 2; } dash = [6, 3]; }
    else if (present && role === 'removing') { stroke = leader ? stroke : '#80868b'; dash = [2, 2]; }
    ctx.fillStyle = fill;
    ctx.fillRect(x0 - 3, sy - 3, sw + 6, sh + 6);
    ctx.save();
    ctx.strokeStyle = stroke; ctx.lineWidth = lw; ctx.setLineDash(dash);
    ctx.strokeRect(x0 - 3, sy - 3, sw + 6, sh + 6);
    ctx.restore();
    if (!present) {
      ctx.fillStyle = '#5f6368'; ctx.font = `10px ${FONT}`; ctx.textAlign = 'left';
      ctx.fillText('no log', x0 + 2, sy + sh / 2);
      return;
    }
    const hw = f[ro + r.high_watermark], leo = f[ro + r.log_end_offset], lso = f[ro + r.log_start_offset];
    // A down broker's replica: its records faded (it serves nothing), its words at full contrast.
    if (downStatus) ctx.globalAlpha = 0.45;
    this.layerCells(ctx, g, tails, t0, base, hw, x0, sy, sh);
    const cleanerX = st ? this.layerSegments(ctx, g, st, tails, t0, base, lso, x0, sy, sh) : -1;
    if (g.cw >= NUM_CELL || (g.keyRuns && g.cw >= KEY_RUN_CELL)) this.layerCellText(ctx, g, tails, t0, base, hw, x0, sy, sh, recs, st);
    ctx.globalAlpha = 1;
    this.layerMarkers(ctx, g, base, hw, leo, lso, x0, sy, sh);
    const labelled = ghosts ? this.layerGhosts(ctx, g, ghosts, base, leo, x0, sy, sh) : false;
    if (leader) drawCrown(ctx, x0 - 9, sy - 12);
    if (leo < base && !g.compact && !labelled) { // the whole log is left of the window (a ghost label says more)
      ctx.fillStyle = '#5f6368'; ctx.font = `italic 10px ${FONT}`; ctx.textAlign = 'left';
      const t = `◂ log ends at offset ${leo}, left of this view`;
      ctx.fillText(ctx.measureText(t).width < sw - 8 ? t : `◂ ends at ${leo}`, x0 + 4, sy + sh / 2);
    }
    this.colLeft = colX;
    if (g.compact) return;
    const right = this.statusLine(ctx, g, f, ro, x0 + (leader ? 8 : 0), y + 9, epoch, leader, inIsr, inElr, downStatus, hw, leo, role);
    if (inIsr && !leader) this.lagTimer(ctx, f, ro, x0, sy, sw);
    if (cleanerX >= 0) { // label the clean | dirty line where the status words leave room
      ctx.font = `9px ${FONT}`;
      const w = ctx.measureText('cleaner').width;
      const lx = cleanerX - w - 3; // on the clean side of the line
      if (lx > right + 6) { ctx.fillStyle = SEG_CLEANER; ctx.textAlign = 'left'; ctx.fillText('cleaner', lx, y + 10); }
    }
  }

  /**
   * Log segments: a divider at each segment's base offset in the window, the active
   * segment outlined (dashed), tombstones as hollow cells with an ×, and the cleaner
   * checkpoint (clean | dirty) as a dotted line. Returns the checkpoint's x, or -1.
   * @param {Ctx} ctx @param {Geometry} g @param {ReplicaStorageView} st @param {Tails} tails @param {number} t0 @param {number} base
   * @param {number} lso @param {number} x0 @param {number} sy @param {number} sh
   */
  layerSegments(ctx, g, st, tails, t0, base, lso, x0, sy, sh) {
    const { K } = g;
    const end = base + K;
    const xOf = (/** @type {number} */ o) => x0 + g.at(o - base);
    ctx.save();
    // Tombstones.
    for (const o of st.tombstones) {
      if (o < base || o >= end) continue;
      const cw = g.wd(o - base), tw = cw >= 3 ? cw - 1 : cw;
      const e = tails[t0 + (o - base)];
      const x = xOf(o);
      ctx.fillStyle = '#fff';
      ctx.fillRect(x, sy, tw, sh);
      ctx.strokeStyle = e >= 0 ? EPOCH_COLORS[e % 8] : '#5f6368';
      ctx.lineWidth = 1;
      ctx.strokeRect(x + 0.5, sy + 0.5, tw - 1, sh - 1);
      if (cw >= 6 && cw < NUM_CELL) { // wider cells say "✕ key" in words (layerCellText)
        const m = sy + sh / 2, r = Math.min(tw / 2 - 1.5, 4);
        ctx.beginPath();
        ctx.moveTo(x + tw / 2 - r, m - r); ctx.lineTo(x + tw / 2 + r, m + r);
        ctx.moveTo(x + tw / 2 + r, m - r); ctx.lineTo(x + tw / 2 - r, m + r);
        ctx.stroke();
      }
    }
    // Segment dividers (the log start has its own bracket).
    ctx.strokeStyle = SEG_LINE; ctx.lineWidth = 1.5;
    ctx.beginPath();
    /** @type {SegmentView | null} */
    let active = null;
    for (const seg of st.segments) {
      if (seg.active) active = seg;
      const b = seg.base_offset;
      if (b <= base || b > end || b <= lso) continue;
      const x = Math.round(xOf(b)) - 0.25;
      ctx.moveTo(x, sy - 3); ctx.lineTo(x, sy + sh + 3);
    }
    ctx.stroke();
    // The active segment: a dashed outline around its cells.
    if (active) {
      const a = Math.max(active.base_offset, base), z = Math.min(active.next_offset, end);
      if (z > a) {
        ctx.strokeStyle = SEG_ACTIVE; ctx.lineWidth = 1.25; ctx.setLineDash([3, 2]);
        ctx.strokeRect(xOf(a) + 1, sy - 1.5, xOf(z) - xOf(a) - 1.5, sh + 3);
        ctx.setLineDash([]);
      }
    }
    // Cleaner checkpoint.
    let cx = -1;
    const cp = st.cleaner_checkpoint;
    if (cp > st.log_start_offset && cp > base && cp <= end) {
      cx = Math.round(xOf(cp)) + 0.5;
      ctx.strokeStyle = SEG_CLEANER; ctx.lineWidth = 1.5; ctx.setLineDash([2, 2]);
      ctx.beginPath(); ctx.moveTo(cx, sy - 6); ctx.lineTo(cx, sy + sh + 3); ctx.stroke();
    }
    ctx.restore();
    return cx;
  }

  /**
   * The offsets a partition row shows and how wide each cell is: a few records fill the strip
   * (cells up to MAX_CELL), more shrink the cells in steps down to the layout's width. When
   * the window holds fewer offsets than the frame's tail, shift + wheel scrolls it back.
   * Returns the row's geometry.
   * @param {number} pi @param {Geometry} rg @param {number} maxLeo @param {number} tailBase @param {boolean} compacted
   * @param {((o: number) => boolean) | null} held
   * @returns {Geometry}
   */
  rowWindow(pi, rg, maxLeo, tailBase, compacted, held) {
    const sw = rg.K * rg.cw;
    const n = Math.max(1, maxLeo - tailBase + 1); // the offsets in the frame, and the next one
    const squeezed = held && !rg.compact ? this.gapWindow(pi, rg, sw, n, tailBase, held) : null;
    if (squeezed) return squeezed;
    const step = CELL_STEPS.find((k) => k >= n) ?? n;
    let cw = Math.max(rg.cw, Math.min(MAX_CELL, Math.floor(sw / step)));
    // A compacted log keeps its whole window (its gaps are the lesson); its keys read where it is short.
    if (compacted && !rg.compact && n <= Math.floor(sw / READ_CELL)) cw = Math.max(cw, READ_CELL);
    const K = Math.max(1, Math.floor(sw / cw));
    const maxPan = Math.max(0, maxLeo - tailBase - K);
    const pan = Math.min(this.pan.get(pi) || 0, maxPan);
    if (pan) this.pan.set(pi, pan); else this.pan.delete(pi);
    // Compacted rows read their keys from narrower cells: one label over a run of the same key.
    const keys = compacted && !rg.compact ? { readAt: KEY_RUN_CELL, keyRuns: true } : null;
    if (K === rg.K && cw === rg.cw && !keys) return rg;
    const last = this.winCache[pi]; // one geometry object per row while it stays the same
    if (last && last.parent === rg && last.K === K && last.cw === cw && !last.xs && !!last.keyRuns === !!keys) return last;
    return (this.winCache[pi] = { ...rg, parent: rg, K, cw, sw, at: uniformAt, wd: uniformWd, ...keys });
  }

  /**
   * A compacted row whose offsets have gaps: every offset some replica holds (and the next one)
   * gets a cell, each run of removed offsets one torn GAP_W slot, so the records kept read at
   * a useful size. Null when the cells would still be too narrow to read (the uniform window then).
   * @param {number} pi @param {Geometry} rg @param {number} sw0 @param {number} n0 @param {number} tailBase @param {(o: number) => boolean} held
   * @returns {Geometry | null}
   */
  gapWindow(pi, rg, sw0, n0, tailBase, held) {
    const n = n0 - 1; // the offsets up to the longest log's end (its LEO marks the strip's right edge)
    const sw = Math.max(sw0, (rg.colW ?? 0) - 24);
    let cells = 0, gaps = 0;
    for (let i = 0; i < n; i++) {
      if (held(tailBase + i)) cells++;
      else if (i === 0 || held(tailBase + i - 1)) gaps++;
    }
    if (!gaps || !cells) return null;
    const cw = Math.min(MAX_CELL, Math.floor((sw - gaps * GAP_W) / cells));
    if (cw < 8) return null; // narrower: the uniform window (its key runs still label what fits)
    /** @type {GapRun[]} */
    const runs = [];
    const xs = new Float32Array(n + 1), ws = new Float32Array(n);
    let x = 0;
    for (let i = 0; i < n;) {
      if (held(tailBase + i)) { xs[i] = x; ws[i] = cw; x += cw; i++; continue; }
      let j = i;
      while (j + 1 < n && !held(tailBase + j + 1)) j++;
      const L = j - i + 1;
      for (let k = i; k <= j; k++) { xs[k] = x + ((k - i) * GAP_W) / L; ws[k] = GAP_W / L; }
      runs.push({ i0: i, i1: j, x, w: GAP_W });
      x += GAP_W;
      i = j + 1;
    }
    xs[n] = x;
    this.pan.delete(pi);
    return { ...rg, K: n, cw, sw, xs, ws, gaps: runs, readAt: NUM_CELL, keyRuns: true, at(/** @type {number} */ i) { return xs[i]; }, wd(/** @type {number} */ i) { return ws[i]; } };
  }

  /** Scrolls a partition row's strips back (+) or forward (−) by offsets; true if it moved. @param {number} pi @param {number} by */
  panRow(pi, by) {
    const w = this.rowWins[pi];
    if (!w) return false;
    const maxPan = Math.max(0, w.maxLeo - w.tailBase - w.K);
    const pan = Math.max(0, Math.min(maxPan, (this.pan.get(pi) || 0) + by));
    if (pan === (this.pan.get(pi) || 0)) return false;
    if (pan) this.pan.set(pi, pan); else this.pan.delete(pi);
    return true;
  }

  /** The record windows worth reading for the strips: [{ri, from, count}] where cells show keys. */
  wantedRecords() {
    /** @type {{ri: number, from: number, count: number}[]} */
    const out = [];
    const s = this.s;
    if (!s) return out;
    this.rowWins.forEach((w, pi) => {
      const p = s.partitions[pi];
      if (!w || !p || w.cw < w.readAt) return;
      for (let k = 0; k < p.replicas.length; k++) out.push({ ri: p.first_replica + k, from: w.base, count: w.K });
    });
    return out;
  }

  /** Records read for the strips: [{ri, records}] (pg.records()). @param {{ri: number, records: RecordView[]}[]} list */
  setRecords(list) {
    this.recordsBy = new Map(list.map(({ ri, records }) => [ri, new Map(records.map((r) => [r.offset, r]))]));
  }

  /** The engine's ghosts (pg.ghosts()) for this replica: records it lost from its end. @param {GhostView[]} list */
  setGhosts(list) {
    /** @type {Map<string, GhostView[]>} */
    const m = new Map();
    for (const gh of list || []) {
      const k = `${gh.topic}-${gh.partition}@${gh.broker}`;
      if (!m.has(k)) m.set(k, []);
      /** @type {GhostView[]} */ (m.get(k)).push(gh);
    }
    this.ghostsBy = m;
    const labels = (list || []).map((gh) => `broker ${gh.broker}, ${gh.topic}-${gh.partition}: ${gh.label}`);
    this.canvas.dataset.ghosts = labels.join('; ');
    this.canvas.setAttribute('aria-description', labels.length ? `Lost records: ${labels.join('; ')}.` : '');
  }

  /**
   * Ghosts: each lost record at its offset, as a dashed hollow cell where the log is now empty
   * and as a band along the cell's bottom where the offset holds another record now; red for an
   * acknowledged write that no replica has any more. The label says which offsets and why.
   */
  /**
   * @param {Ctx} ctx @param {Geometry} g @param {GhostView[]} ghosts @param {number} base @param {number} leo
   * @param {number} x0 @param {number} sy @param {number} sh
   */
  layerGhosts(ctx, g, ghosts, base, leo, x0, sy, sh) { // → did it write a label?
    const { K } = g;
    ctx.save();
    /** @type {{x1: number, text: string, red: boolean, w: number, x: number}[]} */
    const labels = []; // {x1, text, red}: laid out after the bands so two ghosts' labels never overlap
    for (const gh of ghosts) {
      let x1 = Infinity, x2 = -Infinity;
      const red = gh.acknowledged_lost > 0;
      for (const r of gh.records) {
        if (r.offset < base || r.offset >= base + K) continue;
        const x = x0 + g.at(r.offset - base), cw = g.wd(r.offset - base);
        const c = r.acknowledged_lost ? '#c5221f' : '#5f6368';
        x1 = Math.min(x1, x); x2 = Math.max(x2, x + cw);
        if (r.offset >= leo) { // an empty slot now: the ghost itself
          ctx.fillStyle = r.acknowledged_lost ? 'rgba(197,34,31,0.12)' : 'rgba(95,99,104,0.10)';
          ctx.fillRect(x, sy, cw - 1, sh);
          ctx.strokeStyle = c; ctx.lineWidth = 1; ctx.setLineDash([2, 2]);
          ctx.strokeRect(x + 0.5, sy + 0.5, cw - 2, sh - 1);
          ctx.setLineDash([]);
        }
        ctx.fillStyle = c; // a band along the bottom of every lost offset (also where another record holds it now)
        ctx.fillRect(x, sy + sh - 3, Math.max(2, cw - 1), 3);
      }
      if (x2 >= x1 && !g.compact) labels.push({ x1, text: gh.label, red, w: 0, x: 0 });
    }
    if (labels.length) {
      ctx.font = `600 10px ${FONT}`;
      ctx.textAlign = 'left'; ctx.textBaseline = 'middle';
      const end = x0 + g.at(K) - 2;
      for (const l of labels) l.w = ctx.measureText(l.text).width;
      // Left to right, each label after the one before it; a row that overflows is pushed back left
      // (not past the strip's start) and what still does not fit ends in "…" (hover has it whole).
      labels.sort((a, b) => a.x1 - b.x1);
      let x = -Infinity;
      for (const l of labels) { l.x = Math.max(l.x1, x0, x); x = l.x + l.w + 8; }
      const over = x - 8 - end;
      if (over > 0) {
        let shift = over;
        for (let i = labels.length - 1; i >= 0; i--) {
          const l = labels[i];
          const room = i === 0 ? l.x - x0 : l.x - (labels[i - 1].x + labels[i - 1].w + 8);
          const s = Math.min(shift, Math.max(0, room));
          for (let j = i; j < labels.length; j++) labels[j].x -= s;
          shift -= s;
          if (shift <= 0) break;
        }
      }
      for (const l of labels) {
        let text = l.text, w = l.w;
        const avail = end - l.x;
        if (avail < 14) continue;
        if (w > avail) {
          while (text.length > 1 && ctx.measureText(`${text}…`).width > avail) text = text.slice(0, -1);
          text += '…'; w = ctx.measureText(text).width;
        }
        ctx.fillStyle = 'rgba(255,255,255,0.92)';
        ctx.fillRect(l.x - 2, sy + sh / 2 - 7, w + 4, 14);
        ctx.fillStyle = l.red ? '#a50e0e' : '#3c4043';
        ctx.fillText(text, l.x, sy + sh / 2);
      }
    }
    ctx.restore();
    return labels.length > 0;
  }

  /**
   * Offset cells, run-length merged; pale above the replica's HW (not committed yet).
   * @param {Ctx} ctx @param {Geometry} g @param {Tails} tails @param {number} t0 @param {number} base @param {number} hw
   * @param {number} x0 @param {number} sy @param {number} sh
   */
  layerCells(ctx, g, tails, t0, base, hw, x0, sy, sh) {
    const { K, cw } = g;
    const at = (/** @type {number} */ i) => g.at(i);
    let runKey = -1, runStart = 0, last = -1;
    for (let i = 0; i <= K; i++) {
      let key = -1;
      if (i < K) {
        const e = tails[t0 + i];
        if (e >= 0) { key = (e % 8) * 2 + (base + i < hw ? 0 : 1); last = i; }
      }
      if (key !== runKey) {
        if (runKey >= 0) {
          ctx.fillStyle = (runKey & 1 ? PALE : EPOCH_COLORS)[runKey >> 1];
          ctx.fillRect(x0 + at(runStart), sy, at(i) - at(runStart), sh);
        }
        runKey = key; runStart = i;
      }
    }
    if (cw >= 4 && last > 0) { // thin gaps between cells
      ctx.strokeStyle = 'rgba(255,255,255,0.85)'; ctx.lineWidth = 1;
      ctx.beginPath();
      for (let i = 1; i <= last; i++) { if (g.wd(i - 1) < 4) continue; const x = x0 + at(i) - 0.5; ctx.moveTo(x, sy); ctx.lineTo(x, sy + sh); }
      ctx.stroke();
    }
    if (g.gaps) this.layerGaps(ctx, g, x0, sy, sh);
  }

  /** Removed offsets of a squeezed compacted row: a hatched, torn slot per run (hover: which offsets). @param {Ctx} ctx @param {Geometry} g @param {number} x0 @param {number} sy @param {number} sh */
  layerGaps(ctx, g, x0, sy, sh) {
    ctx.save();
    for (const q of g.gaps || []) {
      const x = x0 + q.x + 1.5, w = q.w - 3;
      ctx.fillStyle = '#fff'; ctx.fillRect(x, sy, w, sh);
      ctx.strokeStyle = '#bdc1c6'; ctx.lineWidth = 1;
      ctx.beginPath();
      for (let d = -sh; d < w; d += 4) { ctx.moveTo(x + Math.max(0, d), sy + Math.max(0, -d)); ctx.lineTo(x + Math.min(w, d + sh), sy + Math.min(sh, w - d)); }
      ctx.stroke();
      ctx.strokeStyle = '#5f6368'; ctx.lineWidth = 1.25; // a zigzag: the offsets in between are gone
      ctx.beginPath();
      const m = x + w / 2, step = sh / 6;
      for (let k = 0; k <= 6; k++) ctx.lineTo(m + (k % 2 ? 2.5 : -2.5), sy + k * step);
      ctx.stroke();
    }
    ctx.restore();
  }

  /**
   * Words in readable cells: the offset, and where the engine's records for this window are
   * known (pg.records(), wide cells), the key and value; a tombstone reads "✕ key". A record
   * whose epoch differs from the frame's (the log changed since the read) shows only its offset.
   * @param {Ctx} ctx @param {Geometry} g @param {Tails} tails @param {number} t0 @param {number} base @param {number} hw
   * @param {number} x0 @param {number} sy @param {number} sh @param {Map<number, RecordView> | undefined} recs @param {ReplicaStorageView | undefined} st
   */
  layerCellText(ctx, g, tails, t0, base, hw, x0, sy, sh, recs, st) {
    const { K } = g;
    const readAt = g.readAt ?? READ_CELL;
    const two = sh >= 24;
    const tomb = st && st.tombstones.length ? new Set(st.tombstones) : null;
    ctx.save();
    ctx.textAlign = 'center'; ctx.textBaseline = 'middle';
    ctx.beginPath(); ctx.rect(x0, sy, g.at(K), sh); ctx.clip();
    /** @type {{key: string, x1: number, x2: number, n: number, y: number, color: string | CanvasGradient | CanvasPattern}[]} */
    const runs = []; // squeezed compacted rows: one key label over neighbouring cells of the same key
    for (let i = 0; i < K; i++) {
      const e = tails[t0 + i];
      const cw = g.wd(i);
      if (e < 0 || cw < (g.keyRuns ? KEY_RUN_CELL : NUM_CELL)) continue;
      const o = base + i;
      const x = x0 + g.at(i), cx = x + cw / 2;
      const isTomb = tomb?.has(o);
      const light = isTomb || o >= hw; // white or pale cell: dark words
      const rec = recs?.get(o);
      const words = rec && rec.leader_epoch === e && cw >= readAt ? cellWords(rec) : null;
      ctx.fillStyle = light ? '#3c4043' : '#fff';
      ctx.font = `${two && words ? 8.5 : 9.5}px ${FONT}`;
      const num = String(o);
      const numFits = ctx.measureText(num).width <= cw - 2;
      if (!words) {
        if (isTomb) { if (cw >= NUM_CELL) { ctx.fillStyle = '#a50e0e'; ctx.fillText('✕', cx, sy + sh / 2); } } // no room for its key
        else if (numFits) ctx.fillText(num, cx, sy + sh / 2);
        continue;
      }
      if (!rec) continue; // never taken: words come from a record (tells tsc that rec is set)
      if (numFits && cw >= NUM_CELL) ctx.fillText(num, cx, sy + 7);
      ctx.fillStyle = isTomb ? '#a50e0e' : light ? '#202124' : '#fff';
      if (g.keyRuns && cw < READ_CELL) { // too narrow for a key per cell
        const ky = numFits && two ? sy + sh - 7 : sy + sh / 2;
        if (isTomb) { if (cw >= NUM_CELL) { ctx.font = `600 9.5px ${FONT}`; ctx.fillText('✕', cx, ky); } continue; } // narrower: layerSegments' ×
        const run = runs[runs.length - 1];
        if (run && run.key === rec.key && Math.abs(run.x2 - x) < 0.5) { run.x2 = x + cw; run.n++; } else runs.push({ key: rec.key ?? rec.value ?? '', x1: x, x2: x + cw, n: 1, y: ky, color: ctx.fillStyle });
        continue;
      }
      const say = isTomb ? [`✕ ${rec.key ?? ''}`] : words;
      let text = null;
      for (const px of [9.5, 8, 7.5]) { // the longest words that fit, a size smaller before cutting
        ctx.font = `600 ${px}px ${FONT}`;
        text = say.find((t) => ctx.measureText(t).width <= cw - 3);
        if (text) break;
      }
      ctx.fillText(text ?? fitWords(ctx, say[say.length - 1], cw - 3), cx, sy + sh - 7);
    }
    for (const r of runs) {
      const room = r.x2 - r.x1 - 2;
      const say = r.n > 1 ? [`${r.key} ×${r.n}`, r.key] : [r.key];
      let text = null;
      for (const px of [9.5, 8, 7.5]) {
        ctx.font = `600 ${px}px ${FONT}`;
        text = say.find((t) => ctx.measureText(t).width <= room);
        if (text) break;
      }
      if (!text) { // the key's first letters (the tooltip and the Log segments panel have it whole)
        text = r.key;
        while (text.length > 1 && ctx.measureText(text).width > room) text = text.slice(0, -1);
      }
      ctx.fillStyle = r.color;
      if (room < 12 && r.n === 1) continue; // one narrow cell: no letters (hover it)
      ctx.fillText(text, (r.x1 + r.x2) / 2, r.y);
    }
    ctx.restore();
  }

  /**
   * Log start bracket, HW bar, LEO triangle and (in full mode) their labels.
   * @param {Ctx} ctx @param {Geometry} g @param {number} base @param {number} hw @param {number} leo @param {number} lso
   * @param {number} x0 @param {number} sy @param {number} sh
   */
  layerMarkers(ctx, g, base, hw, leo, lso, x0, sy, sh) {
    const sw = g.sw ?? g.at(g.K);
    const xOf = (/** @type {number} */ o) => (o < base ? x0 + (o - base) * g.cw : x0 + g.at(Math.min(g.K, o - base)));
    ctx.fillStyle = '#202124';
    if (lso >= base && lso <= base + g.K) { const x = xOf(lso); ctx.fillRect(x - 1, sy - 2, 2, sh + 4); ctx.fillRect(x - 1, sy - 2, 4, 2); ctx.fillRect(x - 1, sy + sh, 4, 2); }
    const hwIn = hw >= base, hx = hwIn ? xOf(hw) : x0;
    if (hwIn) { ctx.fillStyle = '#202124'; ctx.fillRect(hx - 1, sy - 5, 2.5, sh + 10); }
    const lx = Math.max(x0, xOf(leo));
    ctx.fillStyle = '#5f6368';
    ctx.beginPath(); ctx.moveTo(lx, sy + sh + 2); ctx.lineTo(lx + 4, sy + sh + 8); ctx.lineTo(lx - 4, sy + sh + 8); ctx.closePath(); ctx.fill();
    if (g.compact) return;
    // Labels under the strip; merged when they would overlap.
    ctx.font = `10px ${FONT}`;
    const ly = sy + sh + 13;
    const hwText = hwIn ? `HW ${hw}` : `◂ HW ${hw}`;
    const leoText = `LEO ${leo}`;
    /** @param {string} text @param {number} x @param {string} color @returns {[number, number]} */
    const place = (text, x, color) => {
      const w = ctx.measureText(text).width;
      const left = Math.min(Math.max(x - w / 2, x0 - 4), x0 + sw + 4 - w);
      ctx.fillStyle = color; ctx.textAlign = 'left'; ctx.fillText(text, left, ly);
      return [left, left + w];
    };
    const taken = [];
    if (hw === leo) taken.push(place(`HW = LEO ${leo}`, lx, '#202124'));
    else {
      const wh = ctx.measureText(hwText).width, wl = ctx.measureText(leoText).width;
      if (lx - hx < (wh + wl) / 2 + 6) taken.push(place(`${hwText} · ${leoText}`, (hx + lx) / 2, '#202124'));
      else { taken.push(place(hwText, hx, '#202124')); taken.push(place(leoText, lx, '#5f6368')); }
    }
    // The log start offset, labelled where it is inside the window and the label has room.
    if (lso > 0 && lso >= base && lso < base + g.K) {
      const t = `log start ${lso}`, w = ctx.measureText(t).width, x = Math.max(x0 - 4, xOf(lso) - 2);
      if (x + w <= x0 + sw + 4 && taken.every(([a, b]) => x + w + 4 < a || x > b + 4)) {
        ctx.fillStyle = '#202124'; ctx.textAlign = 'left'; ctx.fillText(t, x, ly);
      }
    }
  }

  /**
   * A follower the leader's replica.lag.time.max.ms clock runs for: a bar along the top of its
   * box that drains to zero when it counts as out of sync (the leader drops it at its next ISR check).
   * @param {Ctx} ctx @param {Frame} f @param {number} ro @param {number} x0 @param {number} sy @param {number} sw
   */
  lagTimer(ctx, f, ro, x0, sy, sw) {
    const rem = f[ro + this.idx.r.lag_remaining_ms], limit = f[ro + this.idx.r.lag_limit_ms];
    if (rem < 0 || limit <= 0) return;
    const w = sw + 6, frac = Math.max(0, Math.min(1, rem / limit));
    ctx.fillStyle = '#fde0c2'; ctx.fillRect(x0 - 4, sy - 4.5, w + 2, 3.5); // over the box's top border
    ctx.fillStyle = frac > 0.25 ? '#e37400' : '#c5221f'; ctx.fillRect(x0 - 4, sy - 4.5, (w + 2) * frac, 3.5);
  }

  /**
   * The words above a strip: leader, in ISR, or how far behind.
   * @param {Ctx} ctx @param {Geometry} g @param {Frame} f @param {number} ro @param {number} x @param {number} y @param {number} epoch
   * @param {boolean} leader @param {boolean} inIsr @param {boolean} inElr @param {string} downStatus @param {number} hw @param {number} leo
   * @param {'adding' | 'removing' | null} [role]
   */
  statusLine(ctx, g, f, ro, x, y, epoch, leader, inIsr, inElr, downStatus, hw, leo, role = null) {
    const r = this.idx.r;
    const lagRec = f[ro + r.lag_records], lagMs = f[ro + r.lag_ms];
    /** @type {string[]} */
    let texts;
    let color; // longest first; the first that fits is drawn
    if (leader) { texts = [`leader · epoch ${epoch}`, `leader e${epoch}`]; color = '#8a5a00'; }
    else if (inIsr) {
      const rem = f[ro + r.lag_remaining_ms];
      if (rem >= 0) { // the leader's replica.lag.time.max.ms clock is running for it
        const out = rem > 0 ? `leaves ISR in ${fmtSec(rem)}` : 'leaves ISR at next check';
        const short = rem > 0 ? `leaves in ${fmtSec(rem)}` : 'leaves at next check';
        texts = [`✓ in ISR · ${lagRec > 0 ? `${lagRec} behind · ` : ''}${out}`, `✓ in ISR · ${out}`, `✓ ISR · ${short}`, `✓ ${rem > 0 ? fmtSec(rem) : 'next check'}`];
        color = rem > 0 ? '#8f4f00' : '#c5221f';
      } else {
        texts = [lagRec > 0 ? `✓ in ISR · ${lagRec} behind` : '✓ in ISR · caught up', '✓ in ISR'];
        color = '#137333';
      }
    } else {
      const parts = [];
      if (lagRec >= 0) parts.push(`${lagRec} record${lagRec === 1 ? '' : 's'}`);
      if (lagMs >= 0) parts.push(fmtSec(lagMs));
      const behind = parts.length ? `${parts.join(', ')} behind` : '';
      const what = inElr ? 'ELR, not in ISR' : 'out of sync';
      texts = [behind ? `✗ ${what} · ${behind}` : `✗ ${what}`, behind ? `✗ ${behind}` : `✗ ${what}`, lagRec >= 0 ? `✗ ${lagRec} behind` : `✗ ${what}`];
      color = inElr ? '#8f4f00' : '#c5221f';
    }
    if (role === 'adding') {
      // A new replica of a reassignment: how far it has come, until it joins the ISR.
      texts = inIsr ? texts.map((t) => `adding · ${t}`).concat(['adding ✓']) : [`+ adding · ${lagRec >= 0 ? `${lagRec} behind` : 'starting'}`, '+ adding'];
      if (!inIsr) color = '#1967d2';
    } else if (role === 'removing') texts = [...texts.map((t) => `− removing · ${t}`), '− removing'];
    if (downStatus) texts = [...texts.map((t) => `${downStatus} · ${t}`), downStatus];
    ctx.font = `600 11px ${FONT}`;
    ctx.textAlign = 'left';
    ctx.fillStyle = color;
    const max = g.colW - 16 - (x - this.colLeft);
    const t = texts.find((tx) => ctx.measureText(tx).width <= max) ?? texts[texts.length - 1];
    ctx.fillText(t, x, y);
    return x + ctx.measureText(t).width;
  }

  /** @param {Ctx} ctx @param {InFlightMessage[]} flights @param {number} now @param {boolean} trails */
  drawDots(ctx, flights, now, trails) {
    const r = this.g.compact ? 3.5 : 4.5;
    /** @type {Map<MsgStyle, number[]>} */
    const solid = new Map(); // filled markers by style: one path and one fill each
    if (trails) { ctx.strokeStyle = 'rgba(60,64,67,0.25)'; ctx.lineWidth = 2; ctx.beginPath(); }
    /** @type {(string | number)[]} */
    const later = [];
    for (const m of flights) {
      // "controller" with a quorum: the voter whose machine sent or receives it.
      const ctrl = m.controller === null || m.controller === undefined ? null : `controller-${m.controller}`;
      const l = this.link(ctrl && m.from === 'controller' ? ctrl : m.from, ctrl && m.to === 'controller' ? ctrl : m.to);
      if (!l) continue;
      const span = m.deliver_at_ms - m.sent_ms;
      const t = span > 0 ? Math.min(1, Math.max(0, (now - m.sent_ms) / span)) : 1;
      const [x, y] = qpt(l, t);
      if (trails && t > 0.02) {
        const [tx, ty] = qpt(l, Math.max(0, t - 0.12));
        ctx.moveTo(tx, ty); ctx.lineTo(x, y);
      }
      const st = msgStyle(m.kind);
      if (st.shape === 'cross' || st.hollow) { later.push(m.kind, x, y); continue; }
      let list = solid.get(st);
      if (!list) solid.set(st, (list = []));
      list.push(x, y);
    }
    if (trails) ctx.stroke();
    for (const [st, xy] of solid) {
      const rr = st.small ? r * 0.8 : r;
      ctx.beginPath();
      for (let i = 0; i < xy.length; i += 2) pathMarker(ctx, st, xy[i], xy[i + 1], rr);
      ctx.fillStyle = st.color; ctx.fill();
    }
    for (let i = 0; i < later.length; i += 3) drawMarker(ctx, /** @type {string} */ (later[i]), /** @type {number} */ (later[i + 1]), /** @type {number} */ (later[i + 2]), r);
  }
}

/** The first of `texts` (longest first) that fits `room` px in the context's font, else the last. */
/** A record in a cell's words, longest first: key=value, then the key (or the value when it has no key). @param {RecordView} r @returns {string[]} */
function cellWords(r) {
  if (r.key != null && r.value != null) return r.value.startsWith(r.key) ? [r.value, r.key] : [`${r.key}=${r.value}`, r.key];
  return [r.key ?? r.value ?? ''];
}

/** `text` cut with … to `room` px in the context's font. @param {Ctx} ctx @param {string} text @param {number} room */
function fitWords(ctx, text, room) {
  if (ctx.measureText(text).width <= room) return text;
  let t = text;
  while (t.length > 1 && ctx.measureText(`${t}…`).width > room) t = t.slice(0, -1);
  return `${t}…`;
}

/** @param {Ctx} ctx @param {string[]} texts @param {number} room */
function fitText(ctx, texts, room) {
  return texts.find((t) => ctx.measureText(t).width <= room) ?? texts[texts.length - 1];
}

/** The point at t (0–1) on curve l. @param {Link} l @param {number} t @returns {[number, number]} */
function qpt(l, t) {
  const u = 1 - t;
  return [u * u * l.x0 + 2 * u * t * l.cx + t * t * l.x1, u * u * l.y0 + 2 * u * t * l.cy + t * t * l.y1];
}

const short = (/** @type {string} */ n) => n.replace('broker-', 'b').replace('controller', 'ctrl').replace('producer-', 'p').replace('reader-', 'r');
