// Bootstrap: URL parameters, the engine, the animation loop, and the glue between
// the cluster view (render.js), the controls (controls.js) and the panels (panels.js).
import init, { Playground, wasmMemory } from '../pkg/kafka_playground.js';
import { ClusterView, EPOCH_COLORS, MSG_STYLES, drawMarker, drawCrown, el } from './render.js';
import { Controls, BrokerMenu, loadDefs } from './controls.js';
import { ConsumerPanel } from './groups.js';
import { AuditPanel, EventLog, InvariantsPanel, MetricsPanel, PartitionSummary, SegmentsList, parseDescribe, updateDescribe, replicaText, fmtT } from './panels.js';

const BENCH = '{"name":"bench","brokers":6,"broker_config":{"min.insync.replicas":2},"producer_config":{"acks":"all"},"topics":[{"name":"load","partitions":24,"replication_factor":3}],"steps":[{"type":"set_workload","topic":"load","records_per_sec":500,"keys":64}]}';
const SPEEDS = ['0.1', '0.25', '0.5', '1', '2', '5', '10', '100', '1000'];
const MAX_SEED = 2 ** 53 - 1;
const UI_MS = 250; // DOM text panels: at most 4 updates per second
const METRICS_MS = 500; // metrics() copies the whole history: twice per second
const AUDIT_MS = 1000; // audit() re-reads every send and every consumed record: once per second
const $ = (id) => document.getElementById(id);

globalThis.__frameStats = { samples: [], last: null };

// ---------------------------------------------------------------- messages
const errText = $('error-text'), errClose = $('error-close');
function showError(msg) {
  errText.textContent = msg;
  errClose.hidden = false;
  errText.parentElement.classList.add('on');
}
function clearError() {
  if (!errClose.hidden) { errText.textContent = ''; errClose.hidden = true; errText.parentElement.classList.remove('on'); }
}
errClose.addEventListener('click', clearError);

let dead = false;
// Installed before the engine exists: it calls this if it ever panics.
globalThis.__kafkaPlaygroundPanic = (msg) => {
  dead = true;
  const p = $('panic');
  const again = globalThis.__playground ? ` (seed ${$('seed').textContent})` : '';
  p.textContent = `The simulation engine crashed and has stopped. Reload the page to start again${again}. Details: ${msg}`;
  p.hidden = false;
};

// ---------------------------------------------------------------- URL parameters
const params = new URLSearchParams(location.search);
const urlErrors = [];
let seed;
if (params.has('seed')) {
  const v = params.get('seed').trim();
  if (/^\d{1,16}$/.test(v) && Number(v) <= MAX_SEED) seed = Number(v);
  else urlErrors.push(`?seed=${v} is not a valid seed (a whole number from 0 to 2^53−1); using a random seed instead.`);
}
let speed = 1;
if (params.has('speed')) {
  const v = Number(params.get('speed'));
  if (Number.isFinite(v) && v >= 0.1 && v <= 1000) speed = v;
  else urlErrors.push(`?speed=${params.get('speed')} is not a speed from 0.1 to 1000; using 1×.`);
}
let playing = true;
if (params.has('autoplay')) {
  const v = params.get('autoplay');
  if (v === '0' || v === 'false') playing = false;
  else if (v !== '1' && v !== 'true') urlErrors.push(`?autoplay=${v}: expected 0 or 1; playing.`);
}
let scenario;
// ?brokers=N&partitions=P&rf=R: a cluster of that shape (validated here and by the engine).
if (params.has('brokers') || params.has('partitions') || params.has('rf')) {
  const int = (k, lo, hi, dflt) => {
    const raw = params.get(k);
    if (raw === null) return dflt;
    const v = Number(raw);
    if (Number.isInteger(v) && v >= lo && v <= hi) return v;
    urlErrors.push(`?${k}=${raw}: expected an integer from ${lo} to ${hi}; using ${dflt}.`);
    return dflt;
  };
  const brokers = int('brokers', 1, 12, 3);
  const partitions = int('partitions', 1, 64, 3);
  let rf = int('rf', 1, 12, Math.min(3, brokers));
  if (rf > brokers) { urlErrors.push(`?rf=${rf} is more than the ${brokers} brokers; using ${brokers}.`); rf = brokers; }
  scenario = JSON.stringify({
    name: 'custom', brokers,
    broker_config: { 'min.insync.replicas': Math.min(2, rf), 'replica.lag.time.max.ms': 10000 },
    producer_config: { acks: 'all' },
    topics: [{ name: 'orders', partitions, replication_factor: rf }],
    steps: [{ type: 'set_workload', topic: 'orders', records_per_sec: 4, keys: 8 }],
  });
}
if (params.has('preset')) {
  if (params.get('preset') === 'bench') scenario = BENCH;
  else urlErrors.push(`?preset=${params.get('preset')} is unknown (known: bench); using the default playground.`);
}

// ---------------------------------------------------------------- start
let pg;
try {
  await init();
  try {
    pg = new Playground(scenario, seed);
  } catch (e) {
    urlErrors.push(`Cannot start with seed ${seed}: ${e.message}; using a random seed.`);
    pg = new Playground(scenario, undefined);
  }
} catch (e) {
  showError(`The simulation engine could not be loaded: ${e.message}. (Was pkg/ built? bash scripts/build-web.sh)`);
  throw e;
}
globalThis.__playground = pg;
if (urlErrors.length) showError(urlErrors.join(' '));

const reducedMotion = matchMedia('(prefers-reduced-motion: reduce)');
const app = {
  pg,
  structure: null,
  idx: null,
  topic: '',
  slow: new Map(), // "from|to" → extra ms (slow links set from this page; the engine does not report them)
  cuts: [],
  acks: 'all',
  configs: () => pg.configs(),
  error: showError,
  /** Applies one command; shows its error; returns whether it worked. */
  run(cmd) {
    try {
      pg.apply(JSON.stringify(cmd));
    } catch (e) {
      showError(`${cmd.type}: ${e.message}`);
      return false;
    }
    clearError();
    if (cmd.type === 'slow_link') {
      const set = (a, b) => (cmd.extra_latency_ms > 0 ? app.slow.set(`${a}|${b}`, cmd.extra_latency_ms) : app.slow.delete(`${a}|${b}`));
      set(cmd.from, cmd.to);
      if (!cmd.one_way) set(cmd.to, cmd.from);
    }
    if (cmd.type === 'heal_all') app.slow.clear();
    if (cmd.type === 'start_reader' || cmd.type === 'start_consumer') loadStructure(); // new nodes (and maybe __consumer_offsets)
    app.changed();
    return true;
  },
  /** Something changed outside the loop: refresh everything on the next frame. */
  changed() { controls.sync(); forceUi = true; dirty = true; },
};

// Seed display and a link with this seed (same seed + same actions = same run).
const seedNow = pg.seed();
$('seed').textContent = String(seedNow);
const link = new URLSearchParams(params);
link.set('seed', String(seedNow));
$('permalink').href = `?${link}`;

// ---------------------------------------------------------------- UI pieces
const stage = $('stage');
const menu = new BrokerMenu(stage, app);
const view = new ClusterView(stage, $('canvas'), $('heads'), (id, btn) => menu.toggle(id, btn, brokerStatus(id)));
const defs = await loadDefs(Playground, (m) => console.info(m));
const controls = new Controls($('controls'), app, defs);
const log = new EventLog($('log'));
const inv = new InvariantsPanel($('invariants'));
const metrics = new MetricsPanel($('metrics'));
const summary = new PartitionSummary($('summary'));
const segments = new SegmentsList($('segments'), $('segments-head'));
const audit = new AuditPanel($('audit'));
const group = new ConsumerPanel($('consumer-group'), app);
buildLegend($('legend'));

let frame = null, tails = null; // views into wasm memory; re-created every frame
function readFrame() {
  const ptr = pg.frame();
  const mem = wasmMemory().buffer;
  frame = new Float64Array(mem, ptr, pg.frameLen());
  tails = new Int32Array(mem, pg.tailsPtr(), pg.tailsLen());
}

/** Field name → index maps for the frame's header, broker, partition and replica records. */
function indexMaps(l) {
  const m = (names) => Object.fromEntries(names.map((n, i) => [n, i]));
  return { h: m(l.header_fields), b: m(l.broker_fields), p: m(l.partition_fields), r: m(l.replica_fields) };
}

function loadStructure() {
  const s = pg.structure();
  app.structure = s;
  app.idx = indexMaps(s.layout);
  view.setStructure(s, app.idx);
  summary.setStructure(s);
  controls.setStructure(s);
  dirty = true; forceUi = true;
}

function brokerStatus(id) {
  readFrame();
  const s = app.structure, L = s.layout;
  const i = s.brokers.findIndex((b) => b.id === id);
  return L.broker_status_codes[frame[L.broker_offset + i * L.broker_stride + app.idx.b.status]] || 'unknown';
}

// Hovering a replica strip: the replica in words (native tooltip).
const canvas = $('canvas');
let lastHit = '';
canvas.addEventListener('mousemove', (e) => {
  const hit = view.hit(e.offsetX, e.offsetY);
  const key = hit ? `${hit.pi}:${hit.broker}` : '';
  if (key === lastHit) return;
  lastHit = key;
  if (!hit) { canvas.removeAttribute('title'); return; }
  const status = brokerStatus(hit.broker); // reads a fresh frame
  canvas.title = replicaText(app.structure, app.idx, frame, hit.pi, hit.broker, status);
});
canvas.addEventListener('mouseleave', () => { lastHit = ''; });

// ---------------------------------------------------------------- time controls
const playBtn = $('play'), speedSel = $('speed'), clock = $('clock');
const speeds = SPEEDS.includes(String(speed)) ? SPEEDS : [...SPEEDS, String(speed)].sort((a, b) => a - b);
speedSel.replaceChildren(...speeds.map((v) => { const o = el('option', '', `${v}×`); o.value = v; return o; }));
speedSel.value = String(speed);
speedSel.addEventListener('change', () => { speed = Number(speedSel.value); });
function setPlaying(on) {
  playing = on;
  playBtn.setAttribute('aria-pressed', String(on));
  playBtn.replaceChildren(el('span', `ico ico-${on ? 'pause' : 'play'}`), on ? 'Pause' : 'Play');
  lastTs = 0;
}
playBtn.addEventListener('click', () => setPlaying(!playing));
const stepEvent = () => { setPlaying(false); safely(() => pg.step()); app.changed(); };
const advanceBy = (ms) => { safely(() => pg.advance(ms)); app.changed(); };
// Test and tooling hook: advance simulated time the way the step buttons do.
globalThis.__advance = advanceBy;
$('step').addEventListener('click', stepEvent);
$('plus100').addEventListener('click', () => advanceBy(100));
$('plus1s').addEventListener('click', () => advanceBy(1000));
$('plus10s').addEventListener('click', () => advanceBy(10000));

document.addEventListener('keydown', (e) => {
  if (e.altKey || e.ctrlKey || e.metaKey || e.defaultPrevented) return;
  const t = e.target;
  const typing = t instanceof HTMLInputElement || t instanceof HTMLSelectElement || t instanceof HTMLTextAreaElement || t.isContentEditable;
  if (e.key === ' ' && !typing && !(t instanceof HTMLButtonElement) && !(t instanceof HTMLAnchorElement)) {
    e.preventDefault();
    setPlaying(!playing);
  } else if (e.key === 'ArrowRight' && !typing && !t.closest?.('.menu')) {
    e.preventDefault();
    stepEvent();
  }
});

function safely(fn) {
  try { return fn(); } catch (e) { showError(e.message); setPlaying(false); return undefined; }
}

// ---------------------------------------------------------------- the loop
let lastTs = 0, acc = 0, dirty = true, forceUi = true, lastUi = -1e9, lastMetrics = -1e9, lastAudit = -1e9;
/** Engine time per frame (ms) and the simulated-ms-per-real-ms actually achieved. */
const ENGINE_BUDGET_MS = 3.5;
let effective = 1;
let eventSeq = 0, lastViolations = -1, lastLost = -1;
const hdr = { end: 0, violations: 0, lost: 0 }; // from the last frame's header

function tick(ts) {
  requestAnimationFrame(tick);
  if (dead) return;
  const dt = lastTs ? ts - lastTs : 0;
  lastTs = ts;
  if (!playing && !dirty) return;
  const t0 = performance.now();
  if (playing) {
    // Advance in slices within a time budget, so a frame never stalls: when the engine
    // cannot keep up with the asked speed it runs slower (the clock shows the real speed).
    acc += Math.min(dt * speed, 5000);
    let whole = Math.floor(acc);
    // Small slices (≤ 20 simulated ms) so one call cannot overshoot the budget by much.
    const slice = Math.max(1, Math.min(Math.ceil(whole / 8), 20));
    let done = 0;
    while (whole > 0 && performance.now() - t0 < ENGINE_BUDGET_MS) {
      const n = Math.min(slice, whole);
      safely(() => pg.advance(n));
      whole -= n; acc -= n; done += n;
    }
    if (whole > 0) acc = 0; // behind real time: drop the backlog
    effective = dt > 0 ? effective * 0.9 + (done / dt) * 0.1 : effective;
  }
  if (dead) return;
  const t1 = performance.now();
  const ui = forceUi || t0 - lastUi >= UI_MS;
  // Every wasm call that returns JSON happens before the frame views are made.
  let texts = null;
  if (ui) texts = gatherTexts(t0);
  const flights = pg.inFlight(400);
  readFrame();
  const s = app.structure, idx = app.idx;
  if (frame[idx.h.structure_version] !== s.version) { loadStructure(); readFrame(); }
  const t2 = performance.now();
  const now = frame[idx.h.now_ms];
  hdr.end = frame[idx.h.event_seq_end]; hdr.violations = frame[idx.h.violations]; hdr.lost = frame[idx.h.lost];
  if (texts) view.storage = texts.storage; // before drawing: the strips use it
  view.updateHeaders(frame);
  view.draw(frame, tails, flights, now + (playing ? acc : 0), { cuts: app.cuts, slow: app.slow, acks: app.acks, trails: !reducedMotion.matches });
  clock.textContent = playing && effective < speed * 0.8 ? `${fmtT(now)} s (running at ${effective < 10 ? effective.toFixed(1) : Math.round(effective)}×)` : `${fmtT(now)} s`;
  const t3 = performance.now();
  if (ui) applyTexts(texts);
  dirty = false;
  const t4 = performance.now();
  const fs = globalThis.__frameStats;
  fs.samples.push(t4 - t0);
  if (fs.samples.length > 600) fs.samples.shift();
  // Where the last frame's time went (advance; other engine calls; canvas; DOM panels), in ms.
  fs.last = { advance: t1 - t0, engine: t2 - t1, draw: t3 - t2, dom: t4 - t3 };
}

/** Reads the text views (events, describe, invariants, metrics, configs). */
function gatherTexts(t0) {
  lastUi = t0;
  const out = { desc: pg.describe(), groupsDesc: pg.describeGroups(), cfg: pg.configs(), storage: pg.storage(), clients: pg.clients() };
  // Events: only the newest 500 when too many came at once (e.g. at 1000×).
  // The counts come from the previous frame (no extra frame() call).
  const { end, violations, lost } = hdr;
  if (end - eventSeq > 500) { out.skipped = end - 500 - eventSeq; eventSeq = end - 500; }
  out.events = pg.eventsSince(eventSeq, 500);
  if (out.events.length) eventSeq = out.events[out.events.length - 1].seq + 1;
  // invariants() re-audits every write: only when the frame's counts change.
  if (forceUi || violations !== lastViolations || lost !== lastLost) {
    out.inv = pg.invariants();
    lastViolations = violations; lastLost = lost;
  }
  if (forceUi || t0 - lastMetrics >= METRICS_MS) { out.metrics = pg.metrics(); lastMetrics = t0; }
  if (forceUi || t0 - lastAudit >= AUDIT_MS) { out.audit = pg.audit(); lastAudit = t0; }
  forceUi = false;
  return out;
}

function applyTexts(t) {
  app.cuts = t.cfg.network.cuts;
  app.acks = t.cfg.producer.acks;
  if (t.skipped > 0) log.note(`… ${t.skipped} events not shown (time ran too fast)`);
  log.add(t.events);
  if (t.inv) inv.update(t.inv);
  if (t.metrics) metrics.update(t.metrics);
  if (t.audit) audit.update(t.audit);
  group.update(t.clients);
  controls.updateProducer(t.clients.producer);
  updateDescribe($('describe'), t.desc);
  updateDescribe($('describe-groups'), t.groupsDesc);
  summary.update(app.structure, app.idx, frame, parseDescribe(t.desc));
  segments.update(app.structure, app.idx, frame, t.storage, app.topic);
}

/** The legend under the canvas: how to read cells, borders and dots. */
function buildLegend(root) {
  const swatch = (color, text, cls = 'sw') => { const s = el('span', cls); s.style.background = color; const w = el('span', 'lg'); w.append(s, text); return w; };
  const icon = (draw) => {
    const c = el('canvas', 'icon-c');
    const d = window.devicePixelRatio || 1;
    c.width = 14 * d; c.height = 14 * d;
    const x = c.getContext('2d'); x.scale(d, d); draw(x);
    c.setAttribute('aria-hidden', 'true');
    return c;
  };
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
  const kinds = ['Produce', 'Fetch', 'ConsumerFetch', 'AlterPartition', 'MetadataUpdate', 'BrokerHeartbeat', 'Disconnected'];
  for (const k of kinds) { const w = el('span', 'lg'); w.append(icon((x) => drawMarker(x, k, 7, 7, 4)), MSG_STYLES.find((m) => m.re.test(k)).label); l3.append(w); }
  const resp = el('span', 'lg'); resp.append(icon((x) => drawMarker(x, 'FetchResponse', 7, 7, 4)), 'hollow = response');
  const cut = el('span', 'lg'); cut.append(el('span', 'bx bx-cut'), 'cut link');
  l3.append(resp, cut, el('span', 'lg hint', '(default latency is 1–3 ms: slow down or use “slow motion” in Network to see them)'));
  const l4 = el('p');
  l4.append(el('strong', '', 'Segments: '), 'a thin divider where a log segment starts, a dashed outline around the active segment (the one being written), ',
    'a hollow cell with × for a tombstone (a null-value record, for compaction), and a dotted purple line at the cleaner checkpoint (compacted | dirty). ',
    'Set segment.bytes and retention.ms under Topic to watch segments roll and be deleted (the log start moves).');
  root.append(l1, l2, l3, l4);
}

// ---------------------------------------------------------------- go
loadStructure();
controls.sync();
setPlaying(playing);
let width = 0;
new ResizeObserver(() => {
  if (stage.clientWidth === width) return; // height follows from the content
  width = stage.clientWidth;
  view.layout(); menu.place(); dirty = true;
}).observe(stage);
reducedMotion.addEventListener?.('change', () => { dirty = true; });
requestAnimationFrame(tick);
