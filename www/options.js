// @ts-check
// Options of an embedded playground: the <kafka-playground> attributes (and the same names as
// URL parameters of embed.html), validated here, and the scenario they describe. Every invalid
// value gives a message naming the attribute and its valid range, and its default is used.

export const MAX_SEED = 2 ** 53 - 1;

/** The attributes <kafka-playground> reads (embed.html takes the same names as URL parameters). */
export const ATTRIBUTES = ['scenario', 'seed', 'brokers', 'partitions', 'replication-factor', 'acks', 'min-insync-replicas',
  'replica-lag-time-max-ms', 'controllers', 'autoplay', 'speed', 'height', 'controls'];

/**
 * A cluster of this shape: topic "orders" under a steady producer (4 records/s, 8 keys).
 * The main page's ?brokers=&partitions=&rf=&controllers= and the embeds without a scenario use it.
 * controllers: KRaft controller voters (sim.controllers; 1, the default, is left out).
 */
export function customScenario({ brokers = 3, partitions = 3, rf = Math.min(3, brokers), minIsr = Math.min(2, rf), lagMs = 10000, acks = 'all', controllers = 1 } = {}) {
  return {
    name: 'custom', brokers,
    broker_config: { 'min.insync.replicas': minIsr, 'replica.lag.time.max.ms': lagMs, ...(controllers > 1 ? { 'sim.controllers': controllers } : {}) },
    producer_config: { acks },
    topics: [{ name: 'orders', partitions, replication_factor: rf }],
    steps: [{ type: 'set_workload', topic: 'orders', records_per_sec: 4, keys: 8 }],
  };
}

/** CSS lengths accepted by `height`: unit → [min, max]. */
/** @type {Record<string, [number, number]>} */
const HEIGHT_UNITS = { px: [200, 10000], em: [12, 600], rem: [12, 600], vh: [20, 1000], svh: [20, 1000], dvh: [20, 1000], '%': [20, 1000] };

/**
 * @typedef {object} EmbedOptions The validated attributes (parseOptions).
 * @property {string | null} scenario
 * @property {number | undefined} seed
 * @property {number | undefined} brokers
 * @property {number | undefined} partitions
 * @property {number | undefined} rf
 * @property {string | undefined} acks
 * @property {number | undefined} minIsr
 * @property {number | undefined} lagMs
 * @property {number | undefined} controllers
 * @property {boolean} autoplay
 * @property {number} speed
 * @property {string} height
 * @property {string} controls
 */
/**
 * @typedef {object} ScenarioJson A scenario file (scenarios/*.json) as parsed: the fields read or overridden here.
 * @property {string} [name]
 * @property {string} [description]
 * @property {unknown} [seed]
 * @property {number | unknown[]} [brokers]
 * @property {{partitions?: number, replication_factor?: number, assignment?: unknown, config?: Record<string, unknown>}[]} [topics]
 * @property {Record<string, unknown>} [producer_config]
 * @property {Record<string, unknown>} [broker_config]
 * @property {unknown} [expect]
 */

/**
 * Reads and validates the options. get(name) returns the attribute's text or null.
 * Returns { o, errors }: o has scenario (a name or null), seed, brokers, partitions, rf, acks,
 * minIsr, lagMs, controllers (undefined when not given), autoplay, speed, height ('' when not given), controls.
 * @param {(name: string) => string | null | undefined} get
 * @returns {{o: EmbedOptions, errors: string[]}}
 */
export function parseOptions(get) {
  /** @type {string[]} */
  const errors = [];
  /** @type {EmbedOptions} */
  const o = {
    scenario: null, seed: undefined, brokers: undefined, partitions: undefined, rf: undefined, acks: undefined,
    minIsr: undefined, lagMs: undefined, controllers: undefined, autoplay: true, speed: 1, height: '', controls: 'minimal',
  };
  const raw = (/** @type {string} */ k) => { const v = get(k); return v === null || v === undefined ? null : String(v).trim(); };
  /** @param {string} k @param {string | number} v @param {string} expected @param {string} using */
  const bad = (k, v, expected, using) => errors.push(`${k}="${v}" is not valid: expected ${expected}; using ${using}.`);
  /** @param {string} k @param {number} lo @param {number} hi @param {string} dflt */
  const int = (k, lo, hi, dflt) => {
    const v = raw(k);
    if (v === null) return undefined;
    if (/^\d{1,16}$/.test(v) && Number(v) >= lo && Number(v) <= hi) return Number(v);
    bad(k, v, `a whole number from ${lo} to ${hi}`, dflt);
    return undefined;
  };

  const sc = raw('scenario');
  if (sc !== null && sc !== '') {
    if (/^[a-z0-9-]{1,64}$/.test(sc)) o.scenario = sc;
    else bad('scenario', sc, 'the name of a file in scenarios/ (1–64 characters a–z, 0–9 and -, e.g. acks-1-leader-failure)', 'a custom cluster');
  }
  const seed = raw('seed');
  if (seed !== null) {
    if (/^\d{1,16}$/.test(seed) && Number(seed) <= MAX_SEED) o.seed = Number(seed);
    else bad('seed', seed, 'a whole number from 0 to 2^53−1', o.scenario ? "the scenario's seed (random without one)" : 'a random seed');
  }
  o.brokers = int('brokers', 1, 12, '3');
  o.partitions = int('partitions', 1, 64, '3');
  o.rf = int('replication-factor', 1, 12, 'min(3, brokers)');
  if (o.rf !== undefined && o.brokers !== undefined && o.rf > o.brokers) {
    errors.push(`replication-factor="${o.rf}" is more than brokers="${o.brokers}": expected 1 to ${o.brokers}; using ${o.brokers}.`);
    o.rf = o.brokers;
  }
  const acks = raw('acks');
  if (acks !== null) {
    if (['0', '1', 'all', '-1'].includes(acks)) o.acks = acks;
    else bad('acks', acks, '0, 1, all or -1', 'all');
  }
  o.minIsr = int('min-insync-replicas', 1, 12, 'min(2, replication-factor)');
  o.lagMs = int('replica-lag-time-max-ms', 1, 86400000, '10000');
  o.controllers = int('controllers', 1, 5, '1');
  const auto = raw('autoplay');
  if (auto !== null) {
    if (['', 'true', '1', 'autoplay'].includes(auto)) o.autoplay = true;
    else if (auto === 'false' || auto === '0') o.autoplay = false;
    else bad('autoplay', auto, 'autoplay (or "true", "1") to play, "false" or "0" to start paused', 'playing');
  }
  const speed = raw('speed');
  if (speed !== null) {
    const v = Number(speed);
    if (speed !== '' && Number.isFinite(v) && v >= 0.1 && v <= 1000) o.speed = v;
    else bad('speed', speed, 'a number from 0.1 to 1000 (simulated seconds per real second)', '1');
  }
  const height = raw('height');
  if (height !== null && height !== '') {
    const m = /^(\d{1,5}(?:\.\d{1,3})?)(px|em|rem|vh|svh|dvh|%)$/.exec(height);
    const range = /** @type {[number, number]} */ (m && HEIGHT_UNITS[m[2]]); // read only when m matched
    if (m && Number(m[1]) >= range[0] && Number(m[1]) <= range[1]) o.height = height;
    else bad('height', height, 'a CSS length such as 480px (200px–10000px), 30em (12–600 em/rem) or 80vh (20–1000 vh or %)', 'the height of the content');
  }
  const controls = raw('controls');
  if (controls !== null && controls !== '') {
    if (controls === 'minimal' || controls === 'full') o.controls = controls;
    else bad('controls', controls, 'minimal or full', 'minimal');
  }
  return { o, errors };
}

/** Scenario texts by URL, fetched once per page. */
/** @type {Map<string, Promise<ScenarioJson>>} */
const scenarioCache = new Map();
/** @param {URL} url @returns {Promise<ScenarioJson>} */
function fetchScenario(url) {
  const key = url.href; // keyed by the address: a new URL object per call never matched a Map key
  let p = scenarioCache.get(key);
  if (!p) {
    p = fetch(url).then(async (res) => {
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return res.json();
    });
    p.catch(() => scenarioCache.delete(key));
    scenarioCache.set(key, p);
  }
  return p;
}

/** The attributes that override a scenario's settings, and how. @param {ScenarioJson} sc @param {Partial<EmbedOptions>} o */
function override(sc, o) {
  /** @type {string[]} */
  const names = [];
  if (o.brokers !== undefined) { sc.brokers = o.brokers; names.push('brokers'); }
  for (const t of sc.topics || []) {
    if (o.partitions !== undefined) { t.partitions = o.partitions; delete t.assignment; }
    if (o.rf !== undefined) { t.replication_factor = o.rf; delete t.assignment; }
    if (o.minIsr !== undefined && t.config && 'min.insync.replicas' in t.config) t.config['min.insync.replicas'] = o.minIsr;
  }
  if (o.partitions !== undefined) names.push('partitions');
  if (o.rf !== undefined) names.push('replication-factor');
  if (o.acks !== undefined) { sc.producer_config = { ...sc.producer_config, acks: o.acks }; names.push('acks'); }
  if (o.minIsr !== undefined) { sc.broker_config = { ...sc.broker_config, 'min.insync.replicas': o.minIsr }; names.push('min-insync-replicas'); }
  if (o.lagMs !== undefined) { sc.broker_config = { ...sc.broker_config, 'replica.lag.time.max.ms': o.lagMs }; names.push('replica-lag-time-max-ms'); }
  if (o.controllers !== undefined) { sc.broker_config = { ...sc.broker_config, 'sim.controllers': o.controllers }; names.push('controllers'); }
  return names;
}

/**
 * The scenario for these options (fetching scenarios/<name>.json relative to `base`, this
 * module's URL by default). Returns { scenario (JSON text), seed, fallbacks and what (for createPlayground),
 * info ({name, description} of a scenario file, or null), shape ({brokers, partitions, rf, controllers}) }.
 * Problems are pushed to `errors`.
 * @param {Partial<EmbedOptions>} o @param {string[]} errors @param {string} [base]
 */
export async function resolveScenario(o, errors, base = import.meta.url) {
  const custom = () => {
    const brokers = o.brokers ?? 3;
    const rf = o.rf ?? Math.min(3, brokers);
    return customScenario({ brokers, partitions: o.partitions ?? 3, rf, minIsr: o.minIsr ?? Math.min(2, rf), lagMs: o.lagMs ?? 10000, acks: o.acks ?? 'all', controllers: o.controllers ?? 1 });
  };
  /** @param {ScenarioJson} sc @returns {ClusterShape} */
  const shapeOf = (sc) => ({
    brokers: Array.isArray(sc.brokers) ? sc.brokers.length : sc.brokers ?? 3,
    partitions: sc.topics?.[0]?.partitions ?? 3,
    rf: sc.topics?.[0]?.replication_factor ?? 3,
    controllers: /** @type {number | string} */ (sc.broker_config?.['sim.controllers'] ?? 1),
  });
  if (o.scenario) {
    /** @type {ScenarioJson | null} */
    let file = null;
    try {
      file = await fetchScenario(new URL(`../scenarios/${o.scenario}.json`, base));
      if (!file || typeof file !== 'object' || Array.isArray(file)) throw new Error('not a scenario object');
    } catch (e) {
      errors.push(`scenario="${o.scenario}": cannot load scenarios/${o.scenario}.json (${/** @type {Error} */ (e).message}); using a custom cluster.`);
      file = null;
    }
    if (file) {
      // The engine plays the steps on its timeline (a `run` step is time passing), as the CLI runs them.
      const plain = { ...file };
      delete plain.expect; // what a test run must end with: not needed to watch it
      const sc = structuredClone(plain);
      const names = override(sc, o);
      const seed = o.seed ?? (Number.isInteger(file.seed) ? /** @type {number} */ (file.seed) : undefined);
      const fallbacks = names.length
        ? [{ scenario: JSON.stringify(plain), seed, using: `using scenario "${o.scenario}" without ${names.join(', ')}` }]
        : [];
      const what = `scenario "${o.scenario}"${names.length ? ` with ${names.join(', ')} set` : ''}`;
      return { scenario: JSON.stringify(sc), seed, fallbacks, what, info: { name: file.name || o.scenario, description: file.description || '' }, shape: shapeOf(sc) };
    }
  }
  const sc = custom();
  return { scenario: JSON.stringify(sc), seed: o.seed, fallbacks: [], what: undefined, info: null, shape: shapeOf(sc) };
}
