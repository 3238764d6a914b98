// @ts-check
// The main page (index.html): its URL parameters, its header (seed and permalink), and one
// full playground instance (app.js) in #playground. The engine is shared (engine.js); the
// instance and its loop live in app.js, the same code the <kafka-playground> element uses.
//
// URL: ?scenario=<file in scenarios/> (a guided scenario: it opens paused on its first stop),
// ?seed=, ?speed=, ?autoplay=, ?brokers=&partitions=&rf=&controllers=, ?preset=bench; and #v1.<run> (Copy
// link): a shared run, replayed and opened paused at the moment it was shared at.
import { loadEngine } from './engine.js';
import { createPlayground, renderFatal } from './app.js';
import { customScenario, resolveScenario, MAX_SEED } from './options.js';

const BENCH = '{"name":"bench","brokers":6,"broker_config":{"min.insync.replicas":2},"producer_config":{"acks":"all"},"topics":[{"name":"load","partitions":24,"replication_factor":3}],"steps":[{"type":"set_workload","topic":"load","records_per_sec":500,"keys":64}]}';
/** The page's element for `sel` (index.html has each). */
const $ = (/** @type {string} */ sel) => /** @type {HTMLElement} */ (document.querySelector(sel));

// For the e2e test and the browser benchmark only (embeds never use these globals).
globalThis.__frameStats = { samples: [], last: null };

// ---------------------------------------------------------------- URL parameters
const params = new URLSearchParams(location.search);
const urlErrors = [];
let seed;
if (params.has('seed')) {
  const v = /** @type {string} */ (params.get('seed')).trim();
  if (/^\d{1,16}$/.test(v) && Number(v) <= MAX_SEED) seed = Number(v);
  else urlErrors.push(`?seed=${v} is not a valid seed (a whole number from 0 to 2^53−1); using a random seed instead.`);
}
let speed = 1;
if (params.has('speed')) {
  const v = Number(params.get('speed'));
  if (Number.isFinite(v) && v >= 0.1 && v <= 1000) speed = v;
  else urlErrors.push(`?speed=${params.get('speed')} is not a speed from 0.1 to 1000; using 1×.`);
}
let playing = true, autoplayGiven = false;
if (params.has('autoplay')) {
  const v = params.get('autoplay');
  if (v === '0' || v === 'false') { playing = false; autoplayGiven = true; }
  else if (v === '1' || v === 'true') autoplayGiven = true;
  else urlErrors.push(`?autoplay=${v}: expected 0 or 1; playing.`);
}
let scenario, scenarioName, shape;
// ?brokers=N&partitions=P&rf=R&controllers=C: a cluster of that shape (validated here and by the engine).
if (params.has('brokers') || params.has('partitions') || params.has('rf') || params.has('controllers')) {
  /** @param {string} k @param {number} lo @param {number} hi @param {number} dflt */
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
  const controllers = int('controllers', 1, 5, 1);
  scenario = JSON.stringify(customScenario({ brokers, partitions, rf, controllers }));
}
// ?scenario=NAME: scenarios/NAME.json, like the embeds' scenario attribute. A guided scenario
// opens paused on its first stop (Next plays to the following one) unless ?autoplay= says otherwise.
if (params.has('scenario')) {
  const name = /** @type {string} */ (params.get('scenario')).trim();
  if (/^[a-z0-9-]{1,64}$/.test(name)) {
    const plan = await resolveScenario({ scenario: name, seed }, urlErrors);
    if (plan.info) {
      scenario = plan.scenario;
      scenarioName = name;
      if (seed === undefined) seed = plan.seed;
      shape = plan.shape;
      if (!autoplayGiven) playing = false;
    } else { // the file could not be loaded: say it in this page's words
      const e = /** @type {string} */ (urlErrors.pop()); // resolveScenario pushed why
      urlErrors.push(e.replace(`scenario="${name}"`, `?scenario=${name}`).replace('using a custom cluster', 'using the default playground'));
    }
  } else {
    urlErrors.push(`?scenario=${name} is not a scenario name (1–64 characters a–z, 0–9 and -, e.g. acks-1-leader-failure); using the default playground.`);
  }
}
if (params.has('preset')) {
  if (params.get('preset') === 'bench') scenario = BENCH;
  else urlErrors.push(`?preset=${params.get('preset')} is unknown (known: bench); using the default playground.`);
}

// ---------------------------------------------------------------- start
const mount = $('#playground');
let engine;
try {
  engine = await loadEngine();
} catch (e) {
  renderFatal(mount, `The simulation engine could not be loaded: ${/** @type {Error} */ (e).message}. (Was pkg/ built? bash scripts/build-web.sh)`);
  throw e;
}
// A shared run (#v1.…, from Copy link). A bad one is said in the message area and forgotten.
const fragment = location.hash.startsWith('#v') ? location.hash : undefined;
/** A new page address (scenario, shape or seed changed): never with a shared run's fragment. */
const go = (/** @type {URLSearchParams} */ q) => location.assign(`${location.pathname}?${q}`);
const inst = createPlayground(mount, engine, {
  mode: 'full',
  page: true,
  fragment,
  onBadFragment: () => history.replaceState(null, '', `${location.pathname}${location.search}`),
  scenario,
  scenarioName,
  seed,
  speed,
  playing,
  messages: urlErrors,
  keyTarget: document,
  frameStats: globalThis.__frameStats,
  panicHint: (s) => ` (seed ${s})`,
  // The Cluster controls: the shape in the URL; a new shape is a new URL (shareable) and a reload.
  shape: shape || { brokers: params.get('brokers') || '3', partitions: params.get('partitions') || '3', rf: params.get('rf') || '3', controllers: params.get('controllers') || '1' },
  newCluster({ brokers, partitions, rf, controllers }) {
    const q = new URLSearchParams(location.search);
    q.delete('preset'); q.delete('scenario');
    q.set('brokers', brokers); q.set('partitions', partitions); q.set('rf', rf);
    if (String(controllers) === '1') q.delete('controllers'); else q.set('controllers', controllers);
    go(q);
  },
  // The Guided scenarios picker: a new URL (shareable) and a new engine.
  loadScenario(file) {
    const q = new URLSearchParams();
    if (params.has('speed')) q.set('speed', /** @type {string} */ (params.get('speed')));
    q.set('scenario', file);
    go(q);
  },
});
// Pasting another shared link into the address bar changes only the fragment: open it.
addEventListener('hashchange', () => { if (location.hash.startsWith('#v')) location.reload(); });
globalThis.__playground = inst.pg;
// A guided story: the page's header shrinks to one line so the stage (narration, picture, dock) gets the window.
if (inst.guided) { document.body.classList.add('guided'); inst.refit(); }
// Test and tooling hook: advance simulated time the way the step buttons do.
globalThis.__advance = inst.advance;

// Seed display and a link with this seed (same seed + same actions = same run).
$('#seed').textContent = String(inst.seed);
const link = new URLSearchParams(params);
link.set('seed', String(inst.seed));
/** @type {HTMLAnchorElement} */ ($('#permalink')).href = `?${link}`;
