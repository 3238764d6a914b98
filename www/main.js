// @ts-check
// The main page (index.html): its URL parameters, its header (seed and permalink), and one
// full playground instance (app.js and its parts: loop.js, guide-controller.js, dom-build.js) in
// #playground, the same code the <kafka-playground> element uses. The engine is shared (engine.js).
//
// URL: ?scenario=<file in scenarios/> (a guided scenario: it opens paused on its first stop),
// ?seed=, ?speed=, ?autoplay=, ?brokers=&partitions=&rf=&controllers=, ?preset=bench; and #v1.<run> (Copy
// link): a shared run, replayed and opened paused at the moment it was shared at.
import { loadEngine } from './engine.js';
import { createPlayground, renderFatal } from './app.js';
import { ATTRIBUTES, parseOptions, resolveScenario, urlName } from './options.js';

/** The page's element for `sel` (index.html has each). */
const $ = (/** @type {string} */ sel) => /** @type {HTMLElement} */ (document.querySelector(sel));

// For the e2e test and the browser benchmark only (embeds never use these globals).
globalThis.__frameStats = { samples: [], last: null };

const mount = $('#playground');
let engine;
try {
  engine = await loadEngine();
} catch (e) {
  renderFatal(mount, `The simulation engine could not be loaded: ${/** @type {Error} */ (e).message}. (Was pkg/ built? bash scripts/build-web.sh)`);
  throw e;
}

// ---------------------------------------------------------------- URL parameters
// The embeds' attributes under the same names (rf for replication-factor), validated by the one
// parser (options.js) against the engine's limits; height and controls are the embeds' own.
const params = new URLSearchParams(location.search);
const EMBED_ONLY = new Set(['height', 'controls']);
const { o, errors: urlErrors } = parseOptions((k) => (EMBED_ONLY.has(k) ? null : params.get(urlName(k))), engine.limits, 'url');
let { seed, speed, autoplay: playing } = o;
let scenario, scenarioName, shape;
if (o.scenario !== null || ATTRIBUTES.some((k) => !EMBED_ONLY.has(k) && k !== 'seed' && k !== 'speed' && k !== 'autoplay' && params.has(urlName(k)))) {
  // ?scenario=NAME (scenarios/NAME.json, like the embeds' attribute; a guided scenario opens paused
  // on its first stop unless ?autoplay= says otherwise) or a cluster shape (?brokers=&partitions=&rf=…).
  const plan = await resolveScenario(o, urlErrors, engine, { style: 'url' });
  if (plan.info) {
    scenarioName = o.scenario;
    if (!params.has('autoplay')) playing = false;
  }
  if (plan.info || o.scenario === null) { // a file that could not be loaded leaves the default playground
    scenario = plan.scenario;
    seed = plan.seed;
    shape = plan.shape;
  }
}
if (params.has('preset')) {
  try {
    scenario = engine.preset(/** @type {string} */ (params.get('preset')));
    scenarioName = undefined;
  } catch (e) {
    urlErrors.push(`?preset=${params.get('preset')}: ${/** @type {Error} */ (e).message.replace(/^preset: /, '')}; using ${scenario ? 'the cluster the other parameters describe' : 'the default playground'}.`);
  }
}

// ---------------------------------------------------------------- start
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
  shape: shape || { brokers: 3, partitions: 3, rf: 3, controllers: 1 }, // the default playground's
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
