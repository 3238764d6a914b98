// @ts-check
// Text panels, refreshed a few times per second (never per frame): event log,
// invariants, metrics with sparklines, the describe console, and the
// screen-reader partition summary (also the e2e test's hook).
import { el } from './dom.js';

/** An error line: it carries a Kafka error name (the engine says which, EventView.error), and the
 * "errors" filter shows it whatever its category (a refused produce, a failed send, a fenced epoch),
 * so errors are in the log by default while successful produces stay quiet. */
export const isErrorLine = (/** @type {EventView} */ e) => e.error !== null;
const MAX_LINES = 2000; // in the DOM
const KEEP = 20000; // in memory, so a filter can be turned back on

export const fmtT = (/** @type {number} */ ms) => `t+${(ms / 1000).toFixed(3)}`;

/** Event log with category filters and auto-scroll. */
export class EventLog {
  /** @param {HTMLElement} root @param {CategoryView[]} categories the engine's (eventCategories), in chip order */
  constructor(root, categories) {
    /** @type {EventView[]} */
    this.all = [];
    this.on = new Set(categories.filter((c) => !c.quiet).map((c) => c.name));
    this.known = new Set(categories.map((c) => c.name));
    const bar = el('div', 'log-filters');
    bar.setAttribute('role', 'group');
    bar.setAttribute('aria-label', 'Show categories');
    for (const { name: c, doc } of categories) {
      const lab = el('label', `chip cat-${c}`);
      lab.title = doc;
      const cb = el('input');
      cb.type = 'checkbox'; cb.checked = this.on.has(c); cb.dataset.testid = `filter-${c}`;
      cb.addEventListener('change', () => { cb.checked ? this.on.add(c) : this.on.delete(c); this.rebuild(); });
      lab.append(cb, ` ${c}`);
      bar.append(lab);
    }
    // Errors: every line with a Kafka error name, whatever its category (on by default).
    const errs = el('label', 'chip chip-errors');
    this.errors = el('input');
    this.errors.type = 'checkbox'; this.errors.checked = true; this.errors.dataset.testid = 'filter-errors';
    this.errors.addEventListener('change', () => this.rebuild());
    errs.title = 'Lines with a Kafka error (NOT_ENOUGH_REPLICAS, REQUEST_TIMED_OUT, NETWORK_EXCEPTION, …), whatever their category';
    errs.append(this.errors, ' errors');
    bar.prepend(errs);
    const auto = el('label', 'chip');
    this.auto = el('input');
    this.auto.type = 'checkbox'; this.auto.checked = true;
    auto.append(this.auto, ' auto-scroll');
    bar.append(auto);
    this.box = el('div', 'log');
    this.box.dataset.testid = 'event-log';
    this.box.setAttribute('role', 'log');
    this.box.setAttribute('aria-live', 'off'); // far too chatty to announce
    this.box.tabIndex = 0;
    this.box.setAttribute('aria-label', 'Event log');
    root.append(bar, this.box);
  }

  /** @param {EventView} e */
  line(e) {
    const d = el('div', `ev cat-${e.category}${isErrorLine(e) ? ' ev-error' : ''}`);
    d.append(el('span', 'ev-t', `[${fmtT(e.time_ms)}] `), el('span', 'ev-cat', e.category), ` ${e.node} ${e.message}`);
    return d;
  }

  /** Appends new events (in seq order). @param {EventView[]} events */
  add(events) {
    if (!events.length) return;
    this.all.push(...events);
    if (this.all.length > KEEP) this.all.splice(0, this.all.length - KEEP);
    const frag = document.createDocumentFragment();
    const shown = events.filter((e) => this.shows(e)).slice(-MAX_LINES);
    for (const e of shown) frag.append(this.line(e));
    this.box.append(frag);
    let extra = this.box.childElementCount - MAX_LINES;
    while (extra-- > 0) /** @type {ChildNode} */ (this.box.firstChild).remove();
    if (this.auto.checked) this.box.scrollTop = this.box.scrollHeight;
  }

  /** Forgets every line (time jumped: the log starts over from the engine's events). */
  reset() {
    this.all = [];
    this.box.replaceChildren();
  }

  /** A line is shown when its category is on (categories without a chip always are), or it is an error line and errors are on. */
  /** @param {EventView} e */
  shows(e) {
    const c = e.category;
    return this.on.has(c) || !this.known.has(c) || (this.errors.checked && isErrorLine(e));
  }

  /** @param {string} text */
  note(text) {
    this.box.append(el('div', 'ev ev-note', text));
  }

  /** Scrolls to the newest line (a guided stop just showed this log; auto-scroll on). */
  stick() {
    if (this.auto.checked) this.box.scrollTop = this.box.scrollHeight;
  }

  rebuild() {
    const frag = document.createDocumentFragment();
    const shown = this.all.filter((e) => this.shows(e)).slice(-MAX_LINES);
    for (const e of shown) frag.append(this.line(e));
    this.box.replaceChildren(frag);
    if (this.auto.checked) this.box.scrollTop = this.box.scrollHeight;
  }
}

/** Invariant status: green or red with each violation in words, plus lost writes. */
export class InvariantsPanel {
  /** @param {HTMLElement} root */
  constructor(root) {
    this.root = root;
    this.last = '';
  }

  /** @param {InvariantsView} inv */
  update(inv) {
    const key = JSON.stringify(inv);
    if (key === this.last) return; // a live region: only touch it on change
    this.last = key;
    const ok = inv.ok && inv.lost_acknowledged_writes === 0;
    this.root.dataset.ok = String(inv.ok);
    this.root.classList.toggle('bad', !ok);
    // Green when the protocol's invariants hold; the lost-writes line is red on its own (acks=1 and
    // acks=0 lose acknowledged writes without breaking an invariant: the point of those stories).
    const head = el('p', `inv-head${inv.ok ? ' ok' : ''}`, inv.ok ? '✓ All invariants hold' : `✗ ${inv.violations.length} invariant violation${inv.violations.length === 1 ? '' : 's'}`);
    const lost = el('p', `inv-lost${inv.lost_acknowledged_writes > 0 ? ' lost' : ''}`, `Lost acknowledged writes: ${inv.lost_acknowledged_writes}`);
    /** @type {HTMLElement[]} */
    const kids = [head];
    if (inv.violations.length) {
      const ul = el('ul', 'inv-list');
      for (const v of inv.violations) {
        const li = el('li');
        li.append(el('strong', '', v.invariant), ` [${fmtT(v.time_ms)}] ${v.message}`);
        ul.append(li);
      }
      kids.push(ul);
    }
    kids.push(lost);
    this.root.replaceChildren(...kids);
  }
}

/** The client audit (pg.audit()): what producers and consumers saw go wrong. */
/** @type {[keyof ClientAudit, string, string][]} */
const AUDIT = [
  ['duplicated', 'duplicated', 'Extra copies of a send in the partition logs: a retry of a batch that had been written (enable.idempotence=false).'],
  ['out_of_order_keys', 'out-of-order keys', 'Keys whose records sit in the log in a different order than they were sent (retries with max.in.flight > 1 and no idempotence).'],
  ['consumed_more_than_once', 'consumed twice', 'Records consumers received more than once: redelivery after a rebalance or crash, from the last committed offset (at-least-once).'],
  ['consumed_then_truncated', 'consumed, then truncated', 'Records a consumer or reader received that the log no longer holds at that offset (unclean election, legacy truncation).'],
  ['lost_after_acknowledgement', 'lost after ack', 'Acknowledged writes the log no longer holds.'],
];

export class AuditPanel {
  /** @param {HTMLElement} root */
  constructor(root) {
    this.root = root;
    this.last = '';
    this.items = AUDIT.map(([key, name, tipText]) => {
      const d = el('span', 'audit-item');
      d.title = tipText;
      d.dataset.key = key;
      const v = el('strong', '', '0');
      d.append(`${name} `, v);
      return { key, d, v };
    });
    this.head = el('span', 'audit-head', 'Client audit:');
    root.append(this.head, ...this.items.map((i) => i.d));
  }

  /** @param {ClientAudit} a */
  update(a) {
    const key = JSON.stringify(a);
    if (key === this.last) return;
    this.last = key;
    this.head.textContent = `Client audit (${a.acknowledged} acknowledged, ${a.failed} failed):`;
    for (const i of this.items) {
      const v = a[i.key] ?? 0;
      i.v.textContent = String(v);
      i.d.classList.toggle('bad', v > 0);
      this.root.dataset[i.key.replace(/_(\w)/g, (_, c) => c.toUpperCase())] = String(v);
    }
  }
}

/**
 * @typedef {object} MetricDef One metric card.
 * @property {string} name
 * @property {string} tip
 * @property {(m: MetricsSample) => number} get
 * @property {(m: MetricsSample) => number} [get2] a second series
 * @property {(m: MetricsSample) => string} [fmt]
 * @property {(v: number) => boolean} [bad]
 * @property {(m: MetricsSample) => boolean} [bad2]
 * @property {boolean} [rate] charted per second
 */
/** Metrics: numbers plus sparklines of metrics().history. @type {MetricDef[]} */
const METRICS = [
  { name: 'UnderReplicatedPartitions', tip: 'Partitions whose ISR is smaller than their replica set.', get: (m) => m.under_replicated_partitions, bad: (v) => v > 0 },
  { name: 'OfflinePartitionsCount', tip: 'Partitions without a leader: neither readable nor writable.', get: (m) => m.offline_partitions_count, bad: (v) => v > 0 },
  { name: 'ISR shrinks / expands', tip: 'ISR shrinks and expands a leader asked for and the controller committed, summed over brokers: what Kafka\'s IsrShrinksPerSec / IsrExpandsPerSec count (a broker removed from the ISR because it was fenced is not counted there).', get: (m) => m.isr_shrinks, get2: (m) => m.isr_expands, fmt: (m) => `${m.isr_shrinks} / ${m.isr_expands}` },
  { name: 'Produce latency p50 / p99', tip: 'Send-to-acknowledgement time of writes acknowledged in the last 10 s (ms). acks=all waits for the ISR.', get: (m) => m.produce_latency_p50_ms ?? 0, get2: (m) => m.produce_latency_p99_ms ?? 0, fmt: (m) => (m.produce_latency_p50_ms == null ? '—' : `${m.produce_latency_p50_ms} / ${m.produce_latency_p99_ms} ms`) },
  { name: 'Acknowledged / failed', tip: 'Producer sends acknowledged and failed for good (chart: acknowledged per second).', rate: true, get: (m) => m.acknowledged, fmt: (m) => `${m.acknowledged} / ${m.failed}`, bad2: (m) => m.failed > 0 },
  { name: 'Consumer lag', tip: 'The LAG column of kafka-consumer-groups.sh --describe (high watermark − committed offset), summed over every group and partition, plus committed-only readers\' lag.', get: (m) => m.consumer_lag },
];

export class MetricsPanel {
  /** @param {HTMLElement} root */
  constructor(root) {
    this.root = root;
    this.cards = METRICS.map((def) => {
      const card = el('div', 'metric');
      card.title = def.tip;
      const val = el('div', 'metric-val', '0');
      const was = el('div', 'metric-was'); // was → now (Δ) since the user's last action
      const cv = el('canvas', 'spark');
      cv.setAttribute('aria-hidden', 'true');
      card.append(el('div', 'metric-name', def.name), val, was, cv);
      root.append(card);
      return { def, card, val, was, cv };
    });
    this.errors = el('p', 'metric-errors');
    root.append(this.errors);
    this.lastT = -1;
  }

  /** @param {Metrics} m */
  update(m) {
    for (const c of this.cards) {
      const cur = m.current;
      c.val.textContent = c.def.fmt ? c.def.fmt(cur) : String(c.def.get(cur));
      c.card.classList.toggle('bad', !!(c.def.bad?.(c.def.get(cur)) || c.def.bad2?.(cur)));
      // As a dashboard is read after an incident: the value before the last action, and the change.
      const b = m.before_last_action;
      const v0 = b ? c.def.get(b) : null, v1 = c.def.get(cur);
      const wasText = b && v0 !== null && v0 !== undefined && v1 !== null && v1 !== undefined
        ? `was ${v0} → now ${v1} (Δ ${v1 - v0 >= 0 ? '+' : ''}${v1 - v0}) since your action at ${(/** @type {number} */ (m.last_action_ms) / 1000).toFixed(1)} s`
        : '';
      if (c.was.textContent !== wasText) c.was.textContent = wasText;
    }
    const errs = Object.entries(m.produce_errors);
    this.errors.textContent = errs.length ? `Produce errors: ${errs.map(([k, v]) => `${k} ×${v}`).join(', ')}` : 'Produce errors: none';
    this.errors.classList.toggle('bad', errs.length > 0);
    const h = m.history;
    const t = h.length ? h[h.length - 1].time_ms : -1;
    if (t === this.lastT) return; // charts change only with a new sample
    this.lastT = t;
    for (const c of this.cards) spark(c.cv, h, c.def);
  }
}

/** A sparkline (one or two series) of the last 120 samples. @param {HTMLCanvasElement} cv @param {MetricsSample[]} hist @param {MetricDef} def */
function spark(cv, hist, def) {
  const h = hist.slice(-121);
  let a = h.map(def.get);
  if (def.rate) a = a.slice(1).map((v, i) => v - a[i]);
  const b = def.get2 ? h.map(def.get2) : null;
  const w = cv.clientWidth || 120, ht = cv.clientHeight || 28, dpr = window.devicePixelRatio || 1;
  if (cv.width !== Math.round(w * dpr)) { cv.width = Math.round(w * dpr); cv.height = Math.round(ht * dpr); }
  const ctx = /** @type {CanvasRenderingContext2D} */ (cv.getContext('2d'));
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, ht);
  const max = Math.max(1, ...a, ...(b || []));
  /** @param {number[]} vals @param {string} color */
  const line = (vals, color) => {
    if (vals.length < 2) return;
    ctx.strokeStyle = color; ctx.lineWidth = 1.5;
    ctx.beginPath();
    vals.forEach((v, i) => {
      const x = (i / (vals.length - 1)) * (w - 2) + 1, y = ht - 2 - (v / max) * (ht - 4);
      i ? ctx.lineTo(x, y) : ctx.moveTo(x, y);
    });
    ctx.stroke();
  };
  if (b) line(b, '#e8710a');
  line(a, '#1a73e8');
}

/** `kafka-topics.sh --describe` in a <pre>. @param {HTMLElement} pre @param {string} text */
export function updateDescribe(pre, text) {
  if (pre.textContent !== text) pre.textContent = text;
}

/**
 * The accessible partition summary: one element per partition, attributes
 * (data-leader, data-leader-epoch, data-isr) and words kept current.
 */
/** @typedef {HTMLLIElement & {head: HTMLSpanElement, reps: HTMLLIElement[]}} SummaryItem A partition's item, its sentence and its replicas' items. */
export class PartitionSummary {
  /** @param {HTMLElement} root */
  constructor(root) {
    this.root = root;
    /** @type {SummaryItem[]} */
    this.items = [];
  }

  /** @param {Structure} s */
  setStructure(s) {
    this.items = s.partitions.map((p) => {
      const li = /** @type {SummaryItem} */ (el('li'));
      li.dataset.testid = `partition-${p.topic}-${p.partition}`;
      li.dataset.replicas = p.replicas.join(',');
      // The partition in one sentence, then each replica (what the canvas draws in its cell) in its own item.
      li.head = el('span');
      const ul = el('ul');
      li.reps = p.replicas.map((b) => {
        const r = el('li');
        r.dataset.testid = `replica-${p.topic}-${p.partition}-${b}`;
        ul.append(r);
        return r;
      });
      li.append(li.head, ul);
      return li;
    });
    this.root.replaceChildren(...this.items);
  }

  /** @param {Structure} s @param {IndexMaps} idx @param {Float64Array} f @param {PartitionMembersView[]} members the engine's ISR/ELR order (pg.partitionMembers()) */
  update(s, idx, f, members) {
    const L = s.layout;
    const down = new Map(s.brokers.map((b, i) => {
      const code = L.broker_status_codes[f[L.broker_offset + i * L.broker_stride + idx.b.status]] || 'unknown';
      return [b.id, code === 'online' ? '' : `${code.replace('_', ' ')}, `];
    }));
    s.partitions.forEach((p, pi) => {
      const li = this.items[pi];
      const po = L.partition_offset + pi * L.partition_stride;
      const lead = f[po + idx.p.leader];
      const leader = lead < 0 ? 'none' : String(lead);
      const epoch = String(f[po + idx.p.leader_epoch]);
      const name = `${p.topic}-${p.partition}`;
      const d = members[pi];
      const isr = d ? d.isr : [];
      /** @type {string[]} */
      const behind = [];
      /** @type {string[]} */
      const clocks = [];
      p.replicas.forEach((b, k) => {
        const ro = L.replica_offset + (p.first_replica + k) * L.replica_stride;
        const v = (/** @type {string} */ n) => f[ro + idx.r[n]];
        const rem = v('lag_remaining_ms'), lim = v('lag_limit_ms'), rec = v('lag_records'), ms = v('lag_ms');
        const sec = (/** @type {number} */ x) => `${(x / 1000).toFixed(1)} s`;
        const recs = rec > 0 ? `, ${rec} record${rec === 1 ? '' : 's'} behind` : rec === 0 ? ', caught up' : '';
        let words;
        if (!v('present')) words = 'no log';
        else if (v('is_leader')) words = `leader, log end offset ${v('log_end_offset')}, high watermark ${v('high_watermark')}`;
        else if (v('in_isr')) {
          words = `follower in the ISR${recs}`;
          if (rem >= 0) {
            clocks.push(`broker ${b} has not caught up for ${sec(lim - rem)} of replica.lag.time.max.ms ${sec(lim)}: ` +
              `${rem > 0 ? `out of sync in ${sec(rem)}` : 'out of sync at the leader\'s next ISR check'}`);
            words += `; not caught up for ${sec(lim - rem)} of ${sec(lim)}, ${rem > 0 ? `leaves the ISR in ${sec(rem)}` : 'leaves the ISR at the leader\'s next check'}`;
          }
        } else {
          behind.push(`broker ${b}${ms >= 0 ? ` not caught up for ${sec(ms)}${lim > 0 ? ` (replica.lag.time.max.ms ${sec(lim)})` : ''}` : ''}${rec >= 0 ? `, ${rec} records behind` : ''}`);
          words = `${v('in_elr') ? 'follower in the ELR (eligible leader, not in the ISR)' : 'follower, out of sync'}` +
            `${ms >= 0 ? ` for ${sec(ms)}${lim > 0 ? ` of ${sec(lim)}` : ''}` : ''}${recs}`;
        }
        const text = `broker ${b}: ${down.get(b) || ''}${words}.`;
        if (li.reps[k].textContent !== text) li.reps[k].textContent = text;
      });
      const hw = f[po + idx.p.leader_high_watermark];
      const moving = d && (d.adding.length || d.removing.length)
        ? `; being reassigned: adding ${d.adding.join(', ') || 'none'}, removing ${d.removing.join(', ') || 'none'}` : '';
      const text = `${name}: ${leader === 'none' ? 'no leader (offline)' : `leader broker ${leader}`}, leader epoch ${epoch}, in-sync replicas ${isr.join(', ') || 'none'}${moving}` +
        `${hw >= 0 ? `, high watermark ${hw}` : ''}${clocks.length ? `; ${clocks.join('; ')}` : ''}${behind.length ? `; out of sync: ${behind.join('; ')}` : ''}${d && d.elr.length ? `; ELR ${d.elr.join(', ')}` : ''}.`;
      if (li.dataset.leader !== leader) li.dataset.leader = leader;
      if (li.dataset.leaderEpoch !== epoch) li.dataset.leaderEpoch = epoch;
      const isrs = isr.join(',');
      if (li.dataset.isr !== isrs) li.dataset.isr = isrs;
      if (li.head.textContent !== text) li.head.textContent = text;
    });
  }
}

const fmtBytes = (/** @type {number} */ n) => (n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1048576).toFixed(1)} MB`);

/** Most records the segments panel lists (the newest; older segments show their header only). */
export const SEGMENT_RECORDS = 64;

const rangeText = (/** @type {number} */ a, /** @type {number} */ b) => (a === b ? `${a}` : `${a}–${b}`);
/** Offsets as ranges: [0,1,2,5] → "0–2, 5". @param {number[]} offsets */
function ranges(offsets) {
  /** @type {[number, number][]} */
  const out = [];
  for (const o of offsets) {
    const last = out[out.length - 1];
    if (last && last[1] + 1 === o) last[1] = o; else out.push([o, o]);
  }
  return out.map(([a, b]) => rangeText(a, b)).join(', ');
}

/**
 * The segment files of the shown topic's partition 0 on its leader (or its first replica when
 * there is no leader), from pg.storage(): one box per file (name, size, offsets, active / clean),
 * holding its newest records as chips (offset, key, value; ✕ for a tombstone) with the gaps
 * compaction left, and what the cleaner's latest pass removed, by key. Rebuilt only on change.
 */
export class SegmentsList {
  /** @param {HTMLElement} root @param {HTMLElement} head */
  constructor(root, head) {
    this.root = root;
    this.head = head;
    this.last = '';
  }

  /**
   * The replica the panel shows and the records it lists: {ri, from, count} or null (pg.records()).
   * @param {Structure} s @param {IndexMaps} idx @param {Float64Array} f @param {ReplicaStorageView[]} storage @param {string} topic
   */
  want(s, idx, f, storage, topic) {
    if (!s || !storage) return null;
    const pi = s.partitions.findIndex((p) => p.topic === topic && p.partition === 0);
    if (pi < 0) return null;
    const p = s.partitions[pi];
    const lead = f?.length ? f[s.layout.partition_offset + pi * s.layout.partition_stride + idx.p.leader] : -1;
    const k = Math.max(0, p.replicas.indexOf(lead));
    const ri = p.first_replica + k, st = storage[ri];
    if (!st) return null;
    const from = Math.max(st.log_start_offset, st.log_end_offset - SEGMENT_RECORDS);
    return { ri, k, pi, lead, from, count: st.log_end_offset - from };
  }

  /**
   * @param {Structure} s @param {IndexMaps} idx @param {Float64Array} f @param {ReplicaStorageView[]} storage @param {string} topic
   * @param {RecordView[] | undefined} recs
   */
  update(s, idx, f, storage, topic, recs) {
    if (!storage) return;
    const w = this.want(s, idx, f, storage, topic);
    let head = `${topic}-0: no partition`;
    /** @type {{file: string, meta: string, active: boolean, clean: boolean, chips: ({gap: [number, number], r?: undefined} | {r: RecordView, gap?: undefined})[]}[]} */
    let boxes = [];
    /** @type {{text: string, gone: {key: string, rest: string}[]} | null} */
    let note = null;
    if (w) {
      const p = s.partitions[w.pi], st = storage[w.ri];
      const who = w.lead >= 0 && p.replicas[w.k] === w.lead ? 'leader' : 'no leader; first replica';
      const compacted = st.cleanup_policy.includes('compact');
      head = `${st.topic}-${st.partition} on broker-${st.broker} (${who}): cleanup.policy=${st.cleanup_policy}, log start ${st.log_start_offset}, log end ${st.log_end_offset}` +
        `${st.cleaner_checkpoint > st.log_start_offset ? `, cleaner checkpoint ${st.cleaner_checkpoint} (clean below, dirty above)` : ''}, ${st.segments.length} segment${st.segments.length === 1 ? '' : 's'}` +
        `${st.tombstones.length ? `, ${st.tombstones.length} tombstone${st.tombstones.length === 1 ? '' : 's'}` : ''}`;
      const list = (recs || []).filter((r) => r.offset >= w.from);
      boxes = st.segments.map((g) => {
        const mine = list.filter((r) => r.offset >= g.base_offset && r.offset < g.next_offset);
        /** @type {({gap: [number, number], r?: undefined} | {r: RecordView, gap?: undefined})[]} */
        const chips = [];
        // Gaps inside the listed part of this segment: offsets the cleaner removed.
        let at = Math.max(g.base_offset, w.from, st.log_start_offset);
        for (const r of mine) {
          if (r.offset > at && compacted) chips.push({ gap: [at, r.offset - 1] });
          chips.push({ r });
          at = r.offset + 1;
        }
        if (compacted && mine.length && at < g.next_offset && !g.active) chips.push({ gap: [at, g.next_offset - 1] });
        const clean = compacted && g.next_offset <= st.cleaner_checkpoint;
        const tags = [g.active ? 'active' : null, clean ? 'clean' : compacted && !g.active ? 'dirty' : null].filter(Boolean);
        const span = g.next_offset > g.base_offset ? `offsets ${rangeText(g.base_offset, g.next_offset - 1)}` : 'empty';
        const meta = `${tags.length ? `${tags.join(' · ')} · ` : ''}${fmtBytes(g.size_bytes)} · ${span} · ${g.records} record${g.records === 1 ? '' : 's'}` +
          `${g.base_offset < w.from && g.records ? ' (not listed)' : ''}`;
        return { file: g.file, meta, active: g.active, clean, chips };
      });
      const c = st.last_cleaning;
      if (c) {
        /** @type {Map<string, number[]>} */
        const byKey = new Map(); // key (tombstones apart) → offsets
        for (const r of c.removed) {
          const k = JSON.stringify([r.key ?? '(no key)', r.value == null]);
          if (!byKey.has(k)) byKey.set(k, []);
          /** @type {number[]} */ (byKey.get(k)).push(r.offset);
        }
        const gone = [...byKey].map(([k, os]) => {
          const [key, tomb] = JSON.parse(k);
          return { key: tomb ? `✕ ${key}` : key, rest: ` ${tomb ? 'tombstone' : `×${os.length}`} (${ranges(os)})` };
        });
        if (c.removed_count > c.removed.length) gone.push({ key: '', rest: `… ${c.removed_count - c.removed.length} more` });
        note = { text: `Last cleaning at ${(c.at_ms / 1000).toFixed(1)} s over offsets [${c.from}, ${c.to}): ${c.records_before} → ${c.records_after} record${c.records_after === 1 ? '' : 's'}.`, gone };
      }
    }
    const key = JSON.stringify([head, boxes, note]);
    if (key === this.last) return;
    this.last = key;
    this.head.textContent = head;
    /** @type {HTMLLIElement[]} */
    const items = [];
    if (note) {
      const li = el('li', 'seg-cleaning', `${note.text} `);
      li.dataset.testid = 'last-cleaning';
      if (note.gone.length) {
        li.append('Removed: ');
        const gone = note.gone;
        gone.forEach((t, i) => {
          const span = el('span', 'rec-gone');
          if (t.key) span.append(el('s', '', t.key));
          span.append(t.rest);
          li.append(span, i < gone.length - 1 ? ' · ' : '');
        });
      } else li.append('Nothing removed.');
      items.push(li);
    }
    for (const b of boxes) {
      const li = el('li', `seg${b.active ? ' seg-active' : ''}${b.clean ? ' seg-clean' : ''}`);
      li.dataset.file = b.file;
      const top = el('div', 'seg-file', b.file);
      top.append(el('span', 'seg-meta', ` ${b.meta}`));
      li.append(top);
      if (b.chips.length) {
        const row = el('div', 'seg-recs');
        for (const ch of b.chips) {
          if (ch.gap) {
            const n = ch.gap[1] - ch.gap[0] + 1;
            const g = el('span', 'rec rec-gap', `✂ ${rangeText(ch.gap[0], ch.gap[1])}`);
            g.title = `${n} offset${n === 1 ? '' : 's'} removed by the log cleaner (offsets never change: compaction leaves gaps)`;
            row.append(g);
            continue;
          }
          const r = ch.r, tomb = r.value == null;
          const chip = el('span', `rec${tomb ? ' rec-tomb' : ''}${r.committed ? '' : ' rec-uncommitted'}`);
          chip.append(el('span', 'rec-off', String(r.offset)), ' ', el('b', '', tomb ? `✕ ${r.key ?? ''}` : r.key ?? '∅'));
          if (!tomb && r.value != null && r.value !== r.key) chip.append(`=${r.value}`);
          chip.title = recordText(r);
          row.append(chip);
        }
        li.append(row);
      }
      items.push(li);
    }
    this.root.replaceChildren(...items);
  }
}

/**
 * One replica in words (the canvas tooltip).
 * @param {Structure} s @param {IndexMaps} idx @param {Float64Array} f @param {number} pi @param {number} broker @param {string} status
 */
export function replicaText(s, idx, f, pi, broker, status) {
  const L = s.layout, p = s.partitions[pi];
  const k = p.replicas.indexOf(broker);
  const ro = L.replica_offset + (p.first_replica + k) * L.replica_stride;
  const v = (/** @type {string} */ name) => f[ro + idx.r[name]];
  const name = `${p.topic}-${p.partition}`;
  if (!v('present')) return `broker-${broker} (${status}) has no log for ${name}.`;
  const role = v('is_leader') ? `the LEADER (leader epoch ${f[L.partition_offset + pi * L.partition_stride + idx.p.leader_epoch]})`
    : v('in_isr') ? 'a follower in the ISR' : v('in_elr') ? 'a follower in the ELR (eligible to lead, not in the ISR)' : 'a follower OUT OF SYNC (not in the ISR)';
  const lag = v('lag_records') >= 0 ? ` It is ${v('lag_records')} record(s) behind the leader${v('lag_ms') >= 0 ? `; last caught up ${(v('lag_ms') / 1000).toFixed(1)} s ago` : ''}.` : '';
  return `${name} on broker-${broker} (${status}): ${role}.${lag}\n` +
    `Log start ${v('log_start_offset')}, high watermark (HW) ${v('high_watermark')}, log end offset (LEO) ${v('log_end_offset')}, ` +
    `flushed to disk up to ${v('durable_end_offset')}, newest record's epoch ${v('latest_epoch')}.`;
}

/** One record in words (the canvas tooltip over a cell): pg.records() entry. @param {RecordView} r */
export function recordText(r) {
  const q = (/** @type {string | null} */ v) => (v == null ? 'null' : JSON.stringify(v));
  return `offset ${r.offset} · leader epoch ${r.leader_epoch} · key ${q(r.key)} · value ${q(r.value)}${r.value == null ? ' (a tombstone)' : ''}\n` +
    `batch from offset ${r.batch_base_offset} · timestamp ${(r.timestamp_ms / 1000).toFixed(3)} s · segment ${r.segment} · ` +
    `${r.committed ? 'committed (below the HW)' : 'not committed yet (at or above the HW)'}`;
}
