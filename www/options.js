// @ts-check
// Options of a playground: the <kafka-playground> attributes (the same names as URL parameters of
// embed.html) and the main page's URL parameters, validated here — the one place — against the
// engine's limits (src/page/presets.rs), and the scenario they describe (built by the engine).
// Every invalid value gives a message naming the attribute or parameter and its valid range, and
// its default is used.

/** The attributes <kafka-playground> reads (embed.html takes the same names as URL parameters). */
export const ATTRIBUTES = ['scenario', 'seed', 'brokers', 'partitions', 'replication-factor', 'acks', 'min-insync-replicas',
  'replica-lag-time-max-ms', 'controllers', 'autoplay', 'speed', 'height', 'controls'];

/** CSS lengths accepted by `height`: unit → [min, max]. */
/** @type {Record<string, [number, number]>} */
const HEIGHT_UNITS = { px: [200, 10000], em: [12, 600], rem: [12, 600], vh: [20, 1000], svh: [20, 1000], dvh: [20, 1000], '%': [20, 1000] };

/** Whether `height` is a CSS length the element takes (the range of its unit). Needs no engine: the
 * element sizes its box with it while the engine loads. @param {string} height */
export function validHeight(height) {
  const m = /^(\d{1,5}(?:\.\d{1,3})?)(px|em|rem|vh|svh|dvh|%)$/.exec(height);
  const range = m && HEIGHT_UNITS[m[2]];
  return !!(m && range && Number(m[1]) >= range[0] && Number(m[1]) <= range[1]);
}

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
 * Reads and validates the options. get(name) returns the attribute's text or null; `limits` are
 * the engine's; `style` names a bad value as an attribute (`brokers="13"`) or as the main page's
 * URL parameter (`?brokers=13`).
 * Returns { o, errors }: o has scenario (a name or null), seed, brokers, partitions, rf, acks,
 * minIsr, lagMs, controllers (undefined when not given), autoplay, speed, height ('' when not given), controls.
 * @param {(name: string) => string | null | undefined} get @param {PageLimits} limits @param {'attribute' | 'url'} [style]
 * @returns {{o: EmbedOptions, errors: string[]}}
 */
export function parseOptions(get, limits, style = 'attribute') {
  /** @type {string[]} */
  const errors = [];
  /** @type {EmbedOptions} */
  const o = {
    scenario: null, seed: undefined, brokers: undefined, partitions: undefined, rf: undefined, acks: undefined,
    minIsr: undefined, lagMs: undefined, controllers: undefined, autoplay: true, speed: 1, height: '', controls: 'minimal',
  };
  const raw = (/** @type {string} */ k) => { const v = get(k); return v === null || v === undefined ? null : String(v).trim(); };
  /** @param {string} k @param {string | number} v */
  const name = (k, v) => label(k, v, style);
  /** @param {string} k @param {string | number} v @param {string} expected @param {string} using */
  const bad = (k, v, expected, using) => errors.push(`${name(k, v)} is not valid: expected ${expected}; using ${using}.`);
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
    if (/^\d{1,16}$/.test(seed) && Number(seed) <= limits.seed) o.seed = Number(seed);
    else bad('seed', seed, 'a whole number from 0 to 2^53−1', o.scenario ? "the scenario's seed (random without one)" : 'a random seed');
  }
  o.brokers = int('brokers', 1, limits.brokers, '3');
  o.partitions = int('partitions', 1, limits.partitions, '3');
  o.rf = int('replication-factor', 1, limits.replication_factor, 'min(3, brokers)');
  const brokers = o.brokers ?? 3;
  if (o.rf !== undefined && o.rf > brokers) {
    errors.push(`${name('replication-factor', o.rf)} is more than the ${brokers} brokers: expected 1 to ${brokers}; using ${brokers}.`);
    o.rf = brokers;
  }
  const acks = raw('acks');
  if (acks !== null) {
    if (['0', '1', 'all', '-1'].includes(acks)) o.acks = acks;
    else bad('acks', acks, '0, 1, all or -1', 'all');
  }
  o.minIsr = int('min-insync-replicas', 1, limits.min_insync_replicas, 'min(2, replication-factor)');
  o.lagMs = int('replica-lag-time-max-ms', 1, limits.replica_lag_time_max_ms, '10000');
  o.controllers = int('controllers', 1, limits.controllers, '1');
  const auto = raw('autoplay');
  if (auto !== null) {
    if (['', 'true', '1', 'autoplay'].includes(auto)) o.autoplay = true;
    else if (auto === 'false' || auto === '0') o.autoplay = false;
    else bad('autoplay', auto, 'autoplay (or "true", "1") to play, "false" or "0" to start paused', 'playing');
  }
  const speed = raw('speed');
  if (speed !== null) {
    const v = Number(speed);
    const lo = limits.speeds[0], hi = limits.speeds[limits.speeds.length - 1];
    if (speed !== '' && Number.isFinite(v) && v >= lo && v <= hi) o.speed = v;
    else bad('speed', speed, `a number from ${lo} to ${hi} (simulated seconds per real second)`, '1');
  }
  const height = raw('height');
  if (height !== null && height !== '') {
    if (validHeight(height)) o.height = height;
    else bad('height', height, 'a CSS length such as 480px (200px–10000px), 30em (12–600 em/rem) or 80vh (20–1000 vh or %)', 'the height of the content');
  }
  const controls = raw('controls');
  if (controls !== null && controls !== '') {
    if (controls === 'minimal' || controls === 'full') o.controls = controls;
    else bad('controls', controls, 'minimal or full', 'minimal');
  }
  return { o, errors };
}

/** The main page's URL names for the attributes that differ (the rest are the same). */
const URL_NAMES = /** @type {Record<string, string>} */ ({ 'replication-factor': 'rf' });
/** The URL parameter a main page reads for attribute `k`. @param {string} k */
export const urlName = (k) => URL_NAMES[k] ?? k;
/** How a message names a value: `k="v"` (an attribute) or `?k=v` (the main page's URL). @param {string} k @param {string | number} v @param {'attribute' | 'url'} style */
function label(k, v, style) {
  return style === 'url' ? `?${urlName(k)}=${v}` : `${k}="${v}"`;
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
 * module's URL by default; a custom cluster built by the engine otherwise). Returns { scenario
 * (JSON text), seed, fallbacks and what (for createPlayground), info ({name, description} of a
 * scenario file, or null), shape ({brokers, partitions, rf, controllers}) }. Problems are pushed
 * to `errors`, naming the value in `style`.
 * @param {Partial<EmbedOptions>} o @param {string[]} errors @param {Engine} engine
 * @param {{base?: string, style?: 'attribute' | 'url'}} [how]
 */
export async function resolveScenario(o, errors, engine, { base = import.meta.url, style = 'attribute' } = {}) {
  const custom = () => {
    /** @type {ShapeSpec} */
    const shape = { brokers: o.brokers, partitions: o.partitions, replication_factor: o.rf, min_insync_replicas: o.minIsr,
      replica_lag_time_max_ms: o.lagMs, acks: o.acks, controllers: o.controllers };
    try {
      return /** @type {ScenarioJson} */ (JSON.parse(engine.customScenario(shape)));
    } catch (e) { // parseOptions keeps every field in range: only a new engine limit gets here
      errors.push(`${/** @type {Error} */ (e).message}; using the default cluster.`);
      return /** @type {ScenarioJson} */ (JSON.parse(engine.customScenario({})));
    }
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
      errors.push(`${label('scenario', o.scenario, style)}: cannot load scenarios/${o.scenario}.json (${/** @type {Error} */ (e).message}); using ${style === 'url' ? 'the default playground' : 'a custom cluster'}.`);
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
