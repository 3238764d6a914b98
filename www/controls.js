// @ts-check
// Control panel, broker fault menu and link faults. Every control sends one engine
// command (JSON with a "type" tag); errors come back as exceptions and are shown.
// To add a config control, add a line to CONFIG_CONTROLS.
import { el, button } from './dom.js';

/**
 * Config keys with a control: group, key, scope (as in CONFIG_DEFS), and the
 * allowed values for a <select> (a number field otherwise; `signed`: -1 allowed,
 * `ratio`: a decimal from 0 to 1).
 */
/**
 * @typedef {object} ConfigControl
 * @property {string} group
 * @property {string} scope
 * @property {string} key
 * @property {string[]} [choices]
 * @property {string} [testid]
 * @property {boolean} [fromDefs]
 * @property {boolean} [signed]
 * @property {boolean} [ratio]
 * @property {boolean} [never]
 */
/** @type {ConfigControl[]} */
const CONFIG_CONTROLS = [
  { group: 'producer', scope: 'producer', key: 'acks', choices: ['0', '1', 'all'], testid: 'acks' },
  { group: 'producer', scope: 'producer', key: 'enable.idempotence', fromDefs: true },
  { group: 'producer', scope: 'producer', key: 'max.in.flight.requests.per.connection', fromDefs: true },
  { group: 'producer', scope: 'producer', key: 'retries', fromDefs: true },
  { group: 'producer', scope: 'producer', key: 'linger.ms', fromDefs: true },
  { group: 'producer', scope: 'producer', key: 'batch.size', fromDefs: true },
  { group: 'topic', scope: 'topic', key: 'min.insync.replicas' },
  { group: 'topic', scope: 'topic', key: 'unclean.leader.election.enable', choices: ['false', 'true'] },
  { group: 'topic', scope: 'topic', key: 'cleanup.policy', choices: ['delete', 'compact', 'compact,delete'] },
  { group: 'topic', scope: 'topic', key: 'segment.bytes' },
  { group: 'topic', scope: 'topic', key: 'segment.ms' },
  { group: 'topic', scope: 'topic', key: 'retention.ms', signed: true },
  { group: 'topic', scope: 'topic', key: 'retention.bytes', signed: true },
  { group: 'topic', scope: 'topic', key: 'min.cleanable.dirty.ratio', ratio: true },
  { group: 'topic', scope: 'topic', key: 'delete.retention.ms' },
  { group: 'brokers', scope: 'broker', key: 'replica.lag.time.max.ms' },
  { group: 'brokers', scope: 'broker', key: 'unclean.leader.election.enable', choices: ['false', 'true'] },
  { group: 'brokers', scope: 'simulation', key: 'sim.truncation.mode', choices: ['leader-epoch', 'high-watermark'] },
  { group: 'brokers', scope: 'broker', key: 'log.flush.interval.messages', never: true },
  { group: 'brokers', scope: 'simulation', key: 'sim.os.flush.interval.ms' },
  { group: 'brokers', scope: 'broker', key: 'log.retention.check.interval.ms' },
  { group: 'brokers', scope: 'broker', key: 'log.cleaner.backoff.ms' },
];
const LONG_MAX = '9223372036854775807';

/**
 * Config definitions by "scope:key", from the engine (Playground.configDefs(), src/config.rs:
 * the same table the README's config reference is generated from), with each key's doc from
 * www/config-docs.json (`kafka-sim config-docs`: the same table's docs, kept out of the wasm module).
 * @param {PlaygroundClass} Playground
 * @param {Record<string, string>} docs
 * @returns {ConfigDefs}
 */
export function loadDefs(Playground, docs) {
  /** @type {ConfigDefs} */
  const defs = new Map();
  for (const d of Playground.configDefs()) {
    const k = d.kind; // long, boolean, choice, ratio, text
    const allowed = k === 'boolean' ? 'true, false' : k === 'ratio' ? '0–1' : k === 'choice' ? d.choices.join(', ')
      : k === 'long' ? `${d.min ?? '−2^63'}–${d.max ?? 'Long.MAX'}` : '';
    defs.set(`${d.scope}:${d.key}`, { doc: docs[`${d.scope}:${d.key}`] ?? '', def: d.default, allowed, kind: k, choices: d.choices });
  }
  return defs;
}

/** A control's tooltip: the key's doc, default and allowed values. @param {ConfigDefs} defs @param {string} scope @param {string} key */
function tip(defs, scope, key) {
  const d = defs.get(`${scope}:${key}`);
  if (!d) return key;
  const dflt = d.def === LONG_MAX ? 'Long.MAX (never)' : d.def;
  const syn = scope === 'topic' ? defs.get(`broker:${key}`) : null; // the broker key it overrides
  return `${key} (${scope}): ${d.doc}${syn ? ` ${syn.doc}` : ''}\nDefault: ${dflt}.${d.allowed ? ` Allowed: ${d.allowed}.` : ''}`;
}

/** @param {string} id @param {string} testid @param {number} [min] @param {number} [step] */
function numberInput(id, testid, min, step) {
  const i = el('input');
  i.type = 'number'; i.id = id; i.min = String(min ?? 0); i.step = String(step ?? 1);
  if (testid) i.dataset.testid = testid;
  return i;
}

/**
 * A labelled row: <label> (a Kafka key) + input (+ apply button).
 * @param {string} labelText @param {HTMLInputElement | HTMLSelectElement} input @param {(Node | string)[]} [extra] @param {string} [title]
 */
function row(labelText, input, extra = [], title = '') {
  const r = el('div', 'ctl');
  const lab = el('label', 'key', labelText);
  lab.htmlFor = input.id;
  if (title) { lab.title = title; input.title = title; }
  r.append(lab, input, ...extra);
  return r;
}

export class Controls {
  /**
   * app: {run(cmd) → bool, topic, structure, configs(), shape, newCluster(shape)}; defs from loadDefs;
   * limits: the engine's (the cluster form's ranges).
   * @param {HTMLElement} root @param {App} app @param {ConfigDefs} defs @param {PageLimits} limits
   */
  constructor(root, app, defs, limits) {
    this.app = app;
    this.defs = defs;
    this.limits = limits;
    /** @type {{c: ConfigControl, input: HTMLInputElement | HTMLSelectElement}[]} */
    this.inputs = []; // {c, input} for config controls
    /** @type {WeakSet<HTMLInputElement | HTMLSelectElement>} */
    this.dirty = new WeakSet(); // inputs edited but not applied
    /** @type {Record<string, HTMLFieldSetElement>} */
    this.groups = {};
    /** @param {string} id @param {string} title @param {string} hint */
    const group = (id, title, hint) => {
      const fs = el('fieldset', `group group-${id}`);
      const lg = el('legend', '', title);
      if (hint) lg.append(el('span', 'hint', ` ${hint}`));
      fs.append(lg);
      root.append(fs);
      this.groups[id] = fs;
      return fs;
    };
    const prod = group('producer', 'Producer', 'producer-1');
    const topic = group('topic', 'Topic', '');
    this.topicHint = topic.querySelector('.hint') || /** @type {ChildNode} */ (topic.firstChild).appendChild(el('span', 'hint'));
    group('brokers', 'Brokers', 'all brokers (set_broker_config)');
    const net = group('network', 'Network', 'every link');
    const links = group('links', 'Faults: links', 'click a broker header for broker faults');
    this.linksHint = links.querySelector('.hint');

    // Producer: workload, produce buttons.
    this.buildConfigs(); // acks goes first in its group
    const rate = numberInput('ctl-rate', 'rate', 0, 1);
    const keys = numberInput('ctl-keys', 'keys', 0, 1);
    keys.setAttribute('aria-label', 'number of keys');
    const rateApply = button('apply', 'rate-apply', 'set_workload');
    const wl = () => {
      const r = Number(rate.value), k = Number(keys.value || 0);
      if (rate.value === '' || !(r >= 0)) return app.error('records/s: enter a number ≥ 0');
      if (app.run({ type: 'set_workload', topic: app.topic, records_per_sec: r, keys: Math.floor(k) })) { this.dirty.delete(rate); this.dirty.delete(keys); }
    };
    rateApply.addEventListener('click', wl);
    onEnter(rate, wl); onEnter(keys, wl); markDirty(rate, this.dirty); markDirty(keys, this.dirty);
    const keysLab = el('label', 'key small', 'keys');
    keysLab.htmlFor = 'ctl-keys';
    prod.append(row('records/s', rate, [keysLab, keys, rateApply], 'Steady workload (set_workload): records per second to the topic, keyed with one of `keys` keys (0 = no key, round robin). 0 records/s stops it.'));
    this.rate = rate; this.keys = keys;
    const p1 = button('produce 1', 'produce-1', 'Send one record now (produce)');
    const p10 = button('produce 10', 'produce-10', 'Send ten records now (produce)');
    p1.addEventListener('click', () => app.run({ type: 'produce', topic: app.topic, count: 1 }));
    p10.addEventListener('click', () => app.run({ type: 'produce', topic: app.topic, count: 10 }));
    const bar = el('div', 'ctl buttons');
    bar.append(p1, p10);
    prod.append(bar);
    this.prodStats = el('p', 'prod-stats');
    this.prodStats.dataset.testid = 'producer-stats';
    this.prodStats.setAttribute('aria-live', 'off');
    prod.append(this.prodStats);

    // Topic: which topic, readers.
    this.topicSel = el('select');
    this.topicSel.id = 'ctl-topic';
    this.topicSel.dataset.testid = 'topic';
    this.topicSel.addEventListener('change', () => { app.topic = this.topicSel.value; this.setStructure(/** @type {Structure} */ (app.structure)); app.changed(); });
    topic.insertBefore(row('topic', this.topicSel, [], 'The topic the producer, topic configs and readers act on.'), topic.children[1]);
    this.partSel = el('select');
    this.partSel.id = 'ctl-reader-part';
    const startReader = button('start reader', 'start-reader', 'start_reader: a consumer of committed records (it reads up to the HW)');
    startReader.addEventListener('click', () => app.run({ type: 'start_reader', topic: app.topic, partition: Number(this.partSel.value) }));
    topic.append(row('partition', this.partSel, [startReader], 'Start a reader on this partition.'));
    // kafka-delete-records.sh on the partition picked above: the engine checks the offset.
    const delOffset = numberInput('ctl-delete-offset', 'delete-records-offset', -1, 1);
    delOffset.placeholder = '-1 = HW';
    const del = button('delete records', 'delete-records', 'kafka-delete-records.sh (delete_records): the leader moves its log start offset to this offset (-1: the high watermark); followers follow on their next fetch, records below it can no longer be read');
    del.addEventListener('click', () => app.run({ type: 'delete_records', topic: app.topic, partition: Number(this.partSel.value), offset: delOffset.value.trim() === '' ? -1 : Number(delOffset.value) }));
    topic.append(row('delete below', delOffset, [del], 'DeleteRecords: the records of the partition above below this offset are deleted (the low watermark moves); -1 is the high watermark.'));
    // kafka-topics.sh --alter --partitions N: the engine checks N (INVALID_PARTITIONS).
    const addParts = numberInput('ctl-add-partitions', 'add-partitions-count', 1, 1);
    addParts.placeholder = 'new total';
    const addP = button('add partitions', 'add-partitions', 'kafka-topics.sh --alter --partitions (create_partitions): the topic grows to this many partitions. Keys are not kept on their partition: murmur2(key) % the new count moves most of them once the producer refreshes its metadata (metadata.max.age.ms), and the group leader rebalances.');
    addP.addEventListener('click', () => app.run({ type: 'create_partitions', topic: app.topic, count: Math.floor(Number(addParts.value)) }));
    topic.append(row('partitions', addParts, [addP], 'CreatePartitions: the new total number of partitions of the topic above.'));

    // Network.
    const nmin = numberInput('ctl-net-min', 'net-min', 0, 1), nmax = numberInput('ctl-net-max', 'net-max', 0, 1), loss = numberInput('ctl-net-loss', 'net-loss', 0, 0.01);
    loss.max = '1';
    const netApply = button('apply', 'net-apply', 'set_network');
    const applyNet = () => {
      /** @type {Command} */
      const cmd = { type: 'set_network' };
      if (nmin.value !== '') cmd.min_latency_ms = Math.floor(Number(nmin.value));
      if (nmax.value !== '') cmd.max_latency_ms = Math.floor(Number(nmax.value));
      if (loss.value !== '') cmd.loss = Number(loss.value);
      if (app.run(cmd)) [nmin, nmax, loss].forEach((i) => this.dirty.delete(i));
    };
    netApply.addEventListener('click', applyNet);
    [nmin, nmax, loss].forEach((i) => { onEnter(i, applyNet); markDirty(i, this.dirty); });
    net.append(row('min latency ms', nmin, [], tip(defs, 'simulation', 'sim.network.min.latency.ms')),
      row('max latency ms', nmax, [], tip(defs, 'simulation', 'sim.network.max.latency.ms')),
      row('loss', loss, [netApply], tip(defs, 'simulation', 'sim.network.loss')));
    const slowmo = button('slow motion: 100–300 ms', 'net-slowmo', 'Raise latency so that single messages can be watched travelling');
    slowmo.addEventListener('click', () => app.run({ type: 'set_network', min_latency_ms: 100, max_latency_ms: 300 }));
    const fast = button('reset: 1–3 ms', 'net-reset', 'The default latency');
    fast.addEventListener('click', () => app.run({ type: 'set_network', min_latency_ms: 1, max_latency_ms: 3, loss: 0 }));
    const nb = el('div', 'ctl buttons');
    nb.append(slowmo, fast);
    net.append(nb);
    this.net = { nmin, nmax, loss };

    // Links: cut / heal / slow / isolate between any two nodes.
    this.from = el('select'); this.from.id = 'ctl-cut-from'; this.from.dataset.testid = 'cut-from';
    this.to = el('select'); this.to.id = 'ctl-cut-to'; this.to.dataset.testid = 'cut-to';
    const oneWay = el('input'); oneWay.type = 'checkbox'; oneWay.id = 'ctl-one-way'; oneWay.dataset.testid = 'cut-one-way';
    const owLab = el('label', 'small', 'one way (from → to only)'); owLab.htmlFor = 'ctl-one-way';
    links.append(row('from', this.from), row('to', this.to), el('div', 'ctl'));
    /** @type {HTMLDivElement} */ (links.lastChild).append(oneWay, owLab);
    const pair = () => ({ from: this.from.value, to: this.to.value, one_way: oneWay.checked });
    const cut = button('cut', 'cut', 'cut_link: messages on the link are dropped');
    const heal = button('heal', 'heal', 'heal_link');
    const isolate = button('isolate “from”', 'isolate', 'isolate: cut every link to and from the “from” node');
    const healAll = button('heal all', 'heal-all', 'heal_all: restore every link, remove slow links');
    cut.addEventListener('click', () => app.run({ type: 'cut_link', ...pair() }));
    heal.addEventListener('click', () => app.run({ type: 'heal_link', ...pair() }));
    isolate.addEventListener('click', () => app.run({ type: 'isolate', node: this.from.value }));
    healAll.addEventListener('click', () => app.run({ type: 'heal_all' }));
    const lb = el('div', 'ctl buttons');
    lb.append(cut, heal, isolate, healAll);
    links.append(lb);
    const slowMs = numberInput('ctl-slow-ms', 'slow-ms', 0, 100);
    slowMs.value = '500';
    const slow = button('slow link', 'slow', 'slow_link: add this latency to the link');
    slow.addEventListener('click', () => app.run({ type: 'slow_link', ...pair(), extra_latency_ms: Math.floor(Number(slowMs.value) || 0) }));
    links.append(row('extra latency ms', slowMs, [slow]));

    // Cluster shape: a new cluster is a new run. app.shape holds the current one; app.newCluster
    // starts the new one (the main page: a URL, shareable, and a reload; an embed: new attributes).
    const shape = group('cluster', 'Cluster', 'a new run: brokers, partitions, replication factor, controllers');
    const cur = app.shape;
    const lim = this.limits;
    const shapeBrokers = numberInput('ctl-brokers', 'new-brokers', 1, 1); shapeBrokers.max = String(lim.brokers); shapeBrokers.value = String(cur.brokers);
    const np = numberInput('ctl-partitions', 'new-partitions', 1, 1); np.max = String(lim.partitions); np.value = String(cur.partitions);
    const nr = numberInput('ctl-rf', 'new-rf', 1, 1); nr.max = String(lim.replication_factor); nr.value = String(cur.rf);
    // KRaft controller voters: 1, or a quorum of 3 or 5 (sim.controllers; another count a scenario set is kept).
    const nc = el('select'); nc.id = 'ctl-controllers'; nc.dataset.testid = 'new-controllers';
    const curC = String(cur.controllers ?? 1);
    nc.append(...[...new Set(['1', '3', '5', curC])].sort().map((v) => el('option', '', v)));
    nc.value = curC;
    const go = button('new cluster', 'new-cluster', 'Start a new run with this many brokers and controllers, and topic "orders" with these partitions and replication factor');
    go.addEventListener('click', () => app.newCluster({ brokers: shapeBrokers.value, partitions: np.value, rf: nr.value, controllers: nc.value }));
    // A broker joining this run (add_broker): it registers and holds nothing until a reassignment.
    const addBroker = button('add broker', 'add-broker', 'add_broker: a new broker (the next free node.id) joins this run; it holds no replica until the kafka-reassign-partitions.sh panel moves some to it');
    addBroker.addEventListener('click', () => app.run({ type: 'add_broker' }));
    // The operator's rolling restart: careful (waits for every ISR) or hasty (does not).
    const rollHow = el('select'); rollHow.id = 'ctl-rolling'; rollHow.dataset.testid = 'rolling-restart-how';
    rollHow.append(el('option', '', 'careful'), el('option', '', 'hasty'));
    const roll = button('rolling restart', 'rolling-restart', 'rolling_restart: each broker in turn gets a controlled shutdown and starts again. careful: the next waits until no partition is under-replicated (kafka-topics.sh --describe --under-replicated-partitions is empty). hasty: the next goes down as soon as the previous process has started, before its replicas are back in the ISRs (sim.broker.startup.ms makes starting take time).');
    roll.addEventListener('click', () => app.run(rollHow.value === 'hasty' ? { type: 'rolling_restart', hasty: true } : { type: 'rolling_restart' }));
    shape.append(row('restart all', rollHow, [roll], 'A rolling restart of every broker of this run, one at a time'));
    shape.append(row('brokers', shapeBrokers, [addBroker], `Number of brokers (1-${lim.brokers}) of a new run; add broker adds one to this run`), row('num.partitions', np, [], `Partitions of topic "orders" (1-${lim.partitions})`),
      row('replication.factor', nr, [], 'Replicas per partition (at most the number of brokers)'),
      row('sim.controllers', nc, [go], tip(defs, 'simulation', 'sim.controllers')));
  }

  buildConfigs() {
    const { defs } = this;
    for (const c0 of CONFIG_CONTROLS) {
      // Producer controls take their form from configDefs(): a <select> for booleans and choices.
      const d = c0.fromDefs ? defs.get(`${c0.scope}:${c0.key}`) : null;
      const c = d && (d.kind === 'boolean' || d.kind === 'choice') ? { ...c0, choices: d.choices } : c0;
      const id = `ctl-${c.scope}-${c.key}`;
      const testid = c.testid || `${c.scope === 'topic' ? 'topic-config' : c.scope === 'producer' ? 'producer-config' : 'config'}-${c.key}`;
      /** @type {HTMLInputElement | HTMLSelectElement} */
      let input;
      if (c.choices) {
        const sel = input = el('select');
        for (const v of c.choices) sel.append(el('option', '', v));
        sel.addEventListener('change', () => this.apply(c, sel));
      } else {
        input = el('input');
        input.type = 'text';
        input.inputMode = c.ratio ? 'decimal' : 'numeric';
        input.autocomplete = 'off';
        input.size = 8;
        if (c.never) input.placeholder = 'never';
        const inp = input;
        onEnter(inp, () => this.apply(c, inp));
        markDirty(inp, this.dirty);
      }
      const control = input;
      input.id = id;
      input.dataset.testid = testid;
      const extra = [];
      if (!c.choices) {
        const b = button('apply', `${testid}-apply`, `Apply ${c.key}`);
        b.addEventListener('click', () => this.apply(c, control));
        extra.push(b);
      }
      this.groups[c.group].append(row(c.key, input, extra, tip(defs, c.scope, c.key)));
      this.inputs.push({ c, input });
    }
  }

  /** Sends the command for one config control. @param {ConfigControl} c @param {HTMLInputElement | HTMLSelectElement} input */
  apply(c, input) {
    let v = input.value.trim();
    if (c.never && (v === '' || v === 'never')) v = LONG_MAX;
    const ok = c.ratio ? /^(0|1)?(\.\d+)?$/.test(v) && v !== '' && v !== '.' : (c.signed ? /^-?\d+$/ : /^\d+$/).test(v);
    if (!c.choices && !ok) {
      this.app.error(`${c.key}: enter ${c.ratio ? 'a number from 0 to 1' : c.signed ? 'a whole number (-1: no limit)' : 'a whole number'}`);
      return;
    }
    const cmd = c.scope === 'producer' ? { type: 'set_producer_config', key: c.key, value: v }
      : c.scope === 'topic' ? { type: 'set_topic_config', topic: this.app.topic, key: c.key, value: v }
        : { type: 'set_broker_config', key: c.key, value: v };
    if (this.app.run(cmd)) this.dirty.delete(input);
    else if (c.choices) this.sync(true); // a refused choice: show the value still in force
  }

  /** The producer's identity and counters, from pg.clients().producer. @param {ProducerView} p */
  updateProducer(p) {
    const s = p.stats;
    const pid = p.producer_id < 0 ? 'none' : `${p.producer_id}, epoch ${p.producer_epoch}`;
    const text = `producer id ${pid} · idempotence ${p.idempotent ? 'on' : 'off'}\n` +
      `${s.batches_sent} batches, ${s.requests_sent} requests, ${s.retries} retries, ${s.epoch_bumps} epoch bumps, ${s.duplicates_answered} duplicates answered\n` +
      `queued batches ${p.queued_batches}, in-flight requests ${p.in_flight_requests}`;
    if (this.prodStats.textContent !== text) this.prodStats.textContent = text;
    this.prodStats.title = 'Producer id and epoch come from InitProducerId (idempotent producers only). Retries resend a batch; without idempotence a retried batch that had been written is written again (a duplicate), and with max.in.flight > 1 it can land after a later batch (reordering).';
  }

  /** New structure: topics, partitions, node names. @param {Structure} s */
  setStructure(s) {
    const { app } = this;
    const user = s.topics.filter((t) => !t.internal);
    if (!s.topics.some((t) => t.name === app.topic)) app.topic = user[0]?.name ?? s.topics[0]?.name ?? '';
    fillSelect(this.topicSel, s.topics.map((t) => t.name), app.topic);
    this.topicSel.disabled = s.topics.length < 2;
    const parts = s.partitions.filter((p) => p.topic === app.topic).map((p) => String(p.partition));
    fillSelect(this.partSel, parts, this.partSel.value || '0');
    if (this.linksHint) this.linksHint.textContent = s.nodes.some((n) => n.startsWith('controller-')) ? ' click a broker header or a controller for its faults' : ' click a broker header for broker faults';
    fillSelect(this.from, s.nodes, this.from.value || 'broker-1');
    fillSelect(this.to, s.nodes, this.to.value || (s.nodes.includes('broker-2') ? 'broker-2' : s.nodes[1]));
  }

  /** Shows the values in force (skips fields being edited, unless `force` for selects). */
  sync(force = false) {
    const { app } = this;
    const cfg = app.configs();
    const topic = /** @type {Structure} */ (app.structure).topics.find((t) => t.name === app.topic);
    // The producer's settings in force come as Kafka key → text.
    /** @param {string} key */
    const brokerVal = (key) => {
      const vals = new Set(Object.values(cfg.brokers).map((o) => o[key] ?? cfg.cluster[key]));
      return vals.size === 1 ? [...vals][0] : undefined;
    };
    for (const { c, input } of this.inputs) {
      /** @type {string | number | undefined} */
      let v;
      if (c.scope === 'producer') v = cfg.producer[c.key];
      else if (c.scope === 'topic') v = topic?.config[c.key] ?? brokerVal(c.key);
      else v = brokerVal(c.key);
      v = v ?? this.defs.get(`${c.scope}:${c.key}`)?.def ?? (c.choices ? c.choices[0] : '');
      if (c.never && (v === LONG_MAX || String(v).startsWith('Long.MAX'))) v = 'never';
      v = String(v);
      if (v === '-1' && c.key === 'acks') v = 'all';
      const idle = (force && c.choices) || (!focused(input) && !this.dirty.has(input));
      if (idle && input.value !== v) input.value = v;
    }
    if (this.topicHint) this.topicHint.textContent = ` ${app.topic} (set_topic_config)`;
    const w = cfg.workload;
    setIfIdle(this.rate, w && w.topic === app.topic ? w.records_per_sec : 0, this.dirty);
    setIfIdle(this.keys, w && w.topic === app.topic ? w.keys : 0, this.dirty);
    setIfIdle(this.net.nmin, cfg.network.min_latency_ms, this.dirty);
    setIfIdle(this.net.nmax, cfg.network.max_latency_ms, this.dirty);
    setIfIdle(this.net.loss, cfg.network.loss, this.dirty);
  }
}

/** Whether `node` has the focus (within its own document or shadow root). @param {Element} node */
function focused(node) {
  return /** @type {Document | ShadowRoot} */ (node.getRootNode()).activeElement === node;
}
/** @param {HTMLInputElement} input @param {number | string} v @param {WeakSet<HTMLInputElement | HTMLSelectElement>} dirty */
function setIfIdle(input, v, dirty) {
  if (!focused(input) && !dirty.has(input) && input.value !== String(v)) input.value = String(v);
}
/** @param {HTMLInputElement} input @param {WeakSet<HTMLInputElement | HTMLSelectElement>} dirty */
function markDirty(input, dirty) {
  input.addEventListener('input', () => dirty.add(input));
}
/** @param {HTMLInputElement} input @param {() => void} fn */
function onEnter(input, fn) {
  input.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); fn(); } });
}
/** @param {HTMLSelectElement} sel @param {string[]} values @param {string} want */
function fillSelect(sel, values, want) {
  if ([...sel.options].map((o) => o.value).join() !== values.join()) sel.replaceChildren(...values.map((v) => el('option', '', v)));
  sel.value = values.includes(want) ? want : values[0] ?? '';
}

/** A fault menu item: [key, text, title, command, enabled]. @typedef {[string, string, string, Command, boolean]} MenuItem */

/** The fault menu that opens under a broker's header button. */
export class BrokerMenu {
  /**
   * host: the positioned element the menu is placed in; only: the item keys to offer (all when
   * absent). Call destroy() when the instance stops.
   * @param {HTMLElement} host @param {App} app @param {string[]} [only]
   */
  constructor(host, app, only) {
    this.app = app;
    this.only = only ? new Set(only) : null;
    this.menu = el('div', 'menu');
    this.menu.setAttribute('role', 'menu');
    this.menu.hidden = true;
    host.append(this.menu);
    /** @type {HTMLElement | null} */
    this.anchor = null;
    // A press anywhere else closes the menu. composedPath() sees through shadow roots
    // (at the document, a press inside an embed is retargeted to its host element).
    this.doc = host.ownerDocument;
    /** @param {PointerEvent} e */
    this.onDown = (e) => {
      if (this.menu.hidden) return;
      const path = e.composedPath();
      if (!path.includes(this.menu) && !(this.anchor && path.includes(this.anchor))) this.close(false);
    };
    this.doc.addEventListener('pointerdown', this.onDown);
    this.menu.addEventListener('keydown', (e) => {
      const items = /** @type {HTMLButtonElement[]} */ ([...this.menu.querySelectorAll('button:not(:disabled)')]);
      const i = items.indexOf(/** @type {HTMLButtonElement} */ (/** @type {Document | ShadowRoot} */ (this.menu.getRootNode()).activeElement));
      if (e.key === 'Escape') { e.preventDefault(); this.close(true); }
      else if (e.key === 'ArrowDown') { e.preventDefault(); items[(i + 1) % items.length]?.focus(); }
      else if (e.key === 'ArrowUp') { e.preventDefault(); items[(i - 1 + items.length) % items.length]?.focus(); }
    });
  }

  /** Opens (or closes, if open for the same broker) the menu for broker `id`. @param {number} id @param {HTMLElement} anchor @param {string} status */
  toggle(id, anchor, status) {
    if (!this.menu.hidden && this.anchor === anchor) { this.close(true); return; }
    const running = status !== 'crashed' && status !== 'stopped';
    const disk = anchor.dataset.disk || 'healthy'; // the frame's broker.disk, as the header shows it
    const b = `broker-${id}`;
    /** @type {MenuItem[]} */
    const items = [
      ['crash', 'Crash: power loss', 'The machine loses power. The page cache is lost too: records not yet fsynced are gone. Nothing answers its connections, not even a reset: clients notice only when their requests time out (request.timeout.ms).', { type: 'crash_broker', broker: id }, running],
      ['kill', 'kill -9', 'Only the process dies; the OS keeps the page cache (unflushed records survive) and resets its connections, so clients notice at once (NETWORK_EXCEPTION).', { type: 'crash_broker', broker: id, keep_page_cache: true }, running],
      ['shutdown', 'Clean shutdown', 'kafka-server-stop.sh: controlled shutdown moves leaderships away first, then flushes.', { type: 'shutdown_broker', broker: id }, running],
      ['restart', 'Restart', 'Start the broker again on its disk; it recovers its logs and catches up.', { type: 'restart_broker', broker: id }, !running],
      ['pause', 'Pause 15 s (GC)', 'A stop-the-world pause of 15 s: the broker neither receives nor acts (zombie leader).', { type: 'pause_broker', broker: id, ms: 15000 }, running && status !== 'paused'],
      ['resume', 'Resume', 'End the pause now.', { type: 'resume_broker', broker: id }, status === 'paused'],
      ['isolate', 'Isolate from network', 'Cut every link to and from this broker (heal all restores them).', { type: 'isolate', node: b }, true],
      ['slowdisk', 'Slow disk (15 s a write)', 'slow_disk: every write takes 15 s (a stalling disk): the records it fetches as a follower and the produce requests it appends as a leader. The broker keeps heartbeating, so the controller does not fence it; as a follower it falls behind and its leader drops it from the ISR after replica.lag.time.max.ms; as a leader its producers wait, up to request.timeout.ms.', { type: 'slow_disk', broker: id, write_latency_ms: 15000 }, disk === 'healthy'],
      ['healdisk', 'Disk fast again', 'slow_disk with 0: the disk writes at full speed again; the follower catches up and rejoins the ISR.', { type: 'slow_disk', broker: id, write_latency_ms: 0 }, disk === 'slow'],
      ['diskfull', 'Disk full', 'disk_fault full: no space left on device. The next write (an append, a fetched batch, the HW checkpoint) fails with KafkaStorageException; the only log dir goes offline and the broker halts. The controller fences it when its heartbeats stop: it leaves every ISR and its leaderships move.', { type: 'disk_fault', broker: id, fault: 'full' }, disk === 'healthy' || disk === 'slow'],
      ['diskfail', 'Disk failed', 'disk_fault failed: every I/O fails, so the broker halts at its next write and cannot even load its logs to start again until the disk is replaced.', { type: 'disk_fault', broker: id, fault: 'failed' }, disk !== 'failed'],
      ['diskfree', 'Free disk space', 'disk_fault space_freed: a full disk has room again, its data kept. Restart the broker: it recovers its logs and catches up.', { type: 'disk_fault', broker: id, fault: 'space_freed' }, disk === 'full'],
      ['diskreplace', 'Replace disk', 'disk_fault replaced (broker down): a new, empty disk formatted for this node. Restart it: it fetches every replica again from the leaders and rejoins the ISRs.', { type: 'disk_fault', broker: id, fault: 'replaced' }, !running && disk !== 'healthy' && disk !== 'slow'],
      ['decommission', 'Decommission', 'decommission_broker, the operator\'s steps: every replica on this broker moves to the least loaded other broker (kafka-reassign-partitions.sh), and once none is left it gets a clean shutdown and is unregistered (kafka-cluster.sh unregister). Refused when no other broker can take a replica.', { type: 'decommission_broker', broker: id }, running],
      ['unregister', 'Unregister only', 'kafka-cluster.sh unregister: the controller forgets this broker and takes it out of every ISR. Kafka does not refuse a broker that still hosts replicas: they stay offline until a reassignment moves them, so move them first and shut it down.', { type: 'unregister_broker', broker: id }, true],
    ];
    // The disk items that do not apply to this disk now are left out (the menu fits the screen).
    const diskKeys = new Set(['slowdisk', 'healdisk', 'diskfull', 'diskfail', 'diskfree', 'diskreplace']);
    this.open(anchor, b, `${b} · ${status.replace('_', ' ')}${disk === 'healthy' ? '' : ` · disk ${disk}`}`, items.filter((it) => !diskKeys.has(it[0]) || it[4]));
  }

  /**
   * Opens (or closes) the menu of KRaft controller voter `id`; q: pg.controllerQuorum().
   * Crash or restart this voter, isolate its machine, or crash whichever voter is active.
   * @param {number} id @param {HTMLElement} anchor @param {ControllerQuorumView} q
   */
  toggleVoter(id, anchor, q) {
    if (!this.menu.hidden && this.anchor === anchor) { this.close(true); return; }
    const v = q.voters.find((x) => x.id === id);
    if (!v) return;
    const c = `controller-${id}`;
    const up = v.status !== 'crashed';
    const active = q.active === null || q.active === undefined ? null : q.active;
    /** @type {MenuItem[]} */
    const items = [
      ['crash', `Crash controller ${id}`, 'crash_controller: kill -9 of this voter. Its metadata log and quorum-state survive on disk.', { type: 'crash_controller', controller: id }, up],
      ['restart', `Restart controller ${id}`, 'restart_controller: start the voter again on its disk; it follows the current leader or joins the next election.', { type: 'restart_controller', controller: id }, !up],
      ['isolate', 'Isolate from network', 'Cut every link to and from this controller machine (heal all restores them).', { type: 'isolate', node: c }, true],
      ['crash-active', active === null ? 'Crash the active controller (none now)' : `Crash the active controller (${active})`,
        'crash_controller without a voter: whichever voter is the active controller (the Raft leader) dies; the others elect a new one.', { type: 'crash_controller' }, active !== null],
    ];
    const state = v.status === 'crashed' ? 'crashed' : `${v.status}, ${v.raft_state}, epoch ${v.epoch}`;
    this.open(anchor, c, `${c} · ${state}`, items, { 'crash-active': 'controller-crash-active' });
  }

  /**
   * Shows `items` ([key, text, title, command, enabled]) under `anchor`; testids `${name}-${key}` unless in `ids`.
   * @param {HTMLElement} anchor @param {string} name @param {string} headText @param {MenuItem[]} items @param {Record<string, string>} [ids]
   */
  open(anchor, name, headText, items, ids = {}) {
    this.anchor = anchor;
    const head = el('div', 'menu-head', headText);
    const only = this.only;
    const shown = only ? items.filter(([key]) => only.has(key)) : items;
    this.menu.replaceChildren(head, ...shown.map(([key, text, title, cmd, enabled]) => {
      const btn = button(text, ids[key] || `${name}-${key}`, title);
      btn.setAttribute('role', 'menuitem');
      btn.disabled = !enabled;
      btn.addEventListener('click', () => { this.close(true); this.app.run(cmd); });
      return btn;
    }));
    this.menu.setAttribute('aria-label', `Faults for ${name}`);
    this.menu.hidden = false;
    this.place();
    anchor.setAttribute('aria-expanded', 'true');
    /** @type {HTMLButtonElement | null} */ (this.menu.querySelector('button:not(:disabled)'))?.focus();
  }

  /** Puts the menu under its broker's header (again after a resize). */
  place() {
    if (this.menu.hidden || !this.anchor) return;
    const stageBox = /** @type {HTMLElement} */ (this.menu.parentElement).getBoundingClientRect(), a = this.anchor.getBoundingClientRect();
    const left = Math.min(a.left - stageBox.left, stageBox.width - this.menu.offsetWidth - 4);
    this.menu.style.left = `${Math.max(0, left)}px`;
    this.menu.style.top = `${a.bottom - stageBox.top + 2}px`;
    // Never taller than the room below the header: the rest scrolls inside the menu.
    const view = this.menu.ownerDocument.defaultView;
    this.menu.style.maxHeight = `${Math.max(180, (view ? view.innerHeight : 768) - a.bottom - 10)}px`;
  }

  /** Removes the page-wide listener (the instance stops). */
  destroy() {
    this.doc.removeEventListener('pointerdown', this.onDown);
    this.menu.hidden = true;
  }

  /** @param {boolean} refocus */
  close(refocus) {
    if (this.menu.hidden) return;
    this.menu.hidden = true;
    this.anchor?.setAttribute('aria-expanded', 'false');
    if (refocus) this.anchor?.focus();
  }
}
