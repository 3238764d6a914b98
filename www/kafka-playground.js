// @ts-check
// <kafka-playground>: the playground as a custom element, for documentation pages.
//
//   <script type="module" src="https://your.host/kafka-playground/www/kafka-playground.js"></script>
//   <kafka-playground scenario="acks-1-leader-failure" controls="minimal"></kafka-playground>
//   <kafka-playground brokers="5" partitions="2" replication-factor="3" min-insync-replicas="2"></kafka-playground>
//
// Attributes (docs/embed.md): scenario, seed, brokers, partitions, replication-factor, acks,
// min-insync-replicas, replica-lag-time-max-ms, controllers, autoplay, speed, height, controls (minimal | full).
// Each element has its own shadow root (the page's CSS neither leaks in nor out), its own engine
// handle and its own animation loop (paused while off screen, stopped when removed). The wasm
// module is loaded once per page and shared. www/, pkg/ and scenarios/ are found relative to this
// file, so the site may live under any path. Changing an attribute restarts the element.
import { loadEngine } from './engine.js';
import { createPlayground, renderFatal } from './app.js';
import { ATTRIBUTES, parseOptions, resolveScenario, validHeight } from './options.js';
import { el } from './dom.js';

const STYLE_URL = new URL('./style.css', import.meta.url).href;
/** Copy link (controls="full") opens the run in the full playground beside www/ (it reads #v1.…). */
const PLAYGROUND_URL = new URL('../', import.meta.url).href;
/** The attributes a guided scenario picked in the element replaces (it plays as written). */
const SCENARIO_OVERRIDES = ['seed', 'brokers', 'partitions', 'replication-factor', 'acks', 'min-insync-replicas', 'replica-lag-time-max-ms', 'controllers'];

export class KafkaPlaygroundElement extends HTMLElement {
  static get observedAttributes() { return ATTRIBUTES; }

  #mount;
  #styled;
  /** @type {ReturnType<typeof createPlayground> | null} */
  #inst = null;
  #gen = 0; // bumped by every (re)start and stop: a start that was overtaken gives up
  #queued = false;

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    const link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = STYLE_URL;
    this.#styled = new Promise((resolve) => {
      link.addEventListener('load', resolve, { once: true });
      link.addEventListener('error', resolve, { once: true }); // still usable, unstyled
    });
    this.#mount = el('div', 'kp kp-embed');
    root.append(link, this.#mount);
  }

  /** The running instance's engine handle (null while starting), for scripts on the host page. */
  get playground() { return this.#inst?.pg ?? null; }

  connectedCallback() { this.#queueStart(); }

  disconnectedCallback() {
    this.#gen++;
    this.#stop();
  }

  /** @param {string} name @param {string | null} old @param {string | null} value */
  attributeChangedCallback(name, old, value) {
    if (old !== value && this.isConnected) this.#queueStart();
  }

  /** One restart for several attribute changes made together. */
  #queueStart() {
    if (this.#queued) return;
    this.#queued = true;
    queueMicrotask(() => {
      this.#queued = false;
      if (this.isConnected) this.#start();
    });
  }

  #stop() {
    this.#inst?.stop();
    this.#inst = null;
  }

  async #start() {
    const gen = ++this.#gen;
    this.#stop();
    const mount = this.#mount;
    // The box takes its height at once (no layout shift while the engine loads); the attributes
    // are validated against the engine's limits, so the rest waits for the engine.
    const h0 = (this.getAttribute('height') || '').trim();
    const height = validHeight(h0) ? h0 : '';
    mount.classList.toggle('kp-scroll', !!height);
    mount.style.height = height;
    mount.setAttribute('aria-label', 'Kafka replication playground');
    mount.setAttribute('role', 'region');
    mount.replaceChildren(el('p', 'kp-loading', 'Loading the Kafka replication playground…'));
    let engine, plan, o, errors;
    try {
      [engine] = await Promise.all([loadEngine(), this.#styled]);
      if (gen !== this.#gen) return;
      ({ o, errors } = parseOptions((/** @type {string} */ k) => this.getAttribute(k), engine.limits));
      plan = await resolveScenario(o, errors, engine);
    } catch (e) {
      if (gen !== this.#gen) return;
      renderFatal(mount, `The simulation engine could not be loaded: ${/** @type {Error} */ (e).message}. The server must send pkg/kafka_playground_bg.wasm as application/wasm, and a Content-Security-Policy must allow 'wasm-unsafe-eval' in script-src (docs/embed.md).`);
      return;
    }
    if (gen !== this.#gen) return; // removed or restarted meanwhile
    this.#inst = createPlayground(mount, engine, {
      mode: o.controls,
      scenario: plan.scenario,
      seed: plan.seed,
      fallbacks: plan.fallbacks,
      what: plan.what,
      speed: o.speed,
      playing: o.autoplay,
      messages: errors,
      caption: plan.info ? caption(plan.info) : null,
      shape: plan.shape,
      shareBase: PLAYGROUND_URL,
      scenarioName: o.scenario,
      // The Guided scenarios picker (controls="full"): the scenario attribute, hence a restart.
      loadScenario: (file) => {
        for (const a of SCENARIO_OVERRIDES) this.removeAttribute(a);
        this.setAttribute('scenario', file);
      },
      // The Cluster controls (controls="full"): a new shape is new attributes, hence a restart.
      newCluster: ({ brokers, partitions, rf, controllers }) => {
        this.removeAttribute('scenario');
        this.setAttribute('brokers', brokers);
        this.setAttribute('partitions', partitions);
        this.setAttribute('replication-factor', rf);
        this.setAttribute('controllers', controllers);
      },
    });
  }
}

/** The scenario's title, and its description behind a "what happens" toggle. @param {{name: string, description: string}} info */
function caption(info) {
  const p = el('div', 'kp-caption');
  p.append(el('span', 'kp-title', info.name));
  if (info.description) {
    const d = el('details');
    d.append(el('summary', '', 'what happens'), el('p', '', info.description));
    p.append(d);
  }
  return p;
}

if (!customElements.get('kafka-playground')) customElements.define('kafka-playground', KafkaPlaygroundElement);
