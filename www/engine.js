// @ts-check
// The wasm engine, loaded once per page and shared by every playground instance on it
// (the main page and any number of <kafka-playground> elements). Each instance owns its
// own `new Playground(...)`; only the module, its memory and the config definitions are shared.
import init, { Playground, wasmMemory, limits, preset, customScenario, eventCategories } from '../pkg/kafka_playground.js';
import { loadDefs } from './controls.js';

// The engine calls globalThis.__kafkaPlaygroundPanic(message) if it ever panics. A panic
// stops the whole wasm module, so it is told to every live instance. Installed before the
// first Playground exists; a handler installed earlier (another copy of this module) is kept.
/** @type {Set<(message: string) => void>} */
const panicListeners = new Set();
/** @type {string | null} */
let panicMessage = null;
const earlier = globalThis.__kafkaPlaygroundPanic;
/** @param {string} msg */
globalThis.__kafkaPlaygroundPanic = (msg) => {
  panicMessage = msg;
  for (const f of [...panicListeners]) {
    try { f(msg); } catch (e) { console.error(e); }
  }
  if (typeof earlier === 'function') earlier(msg);
};

/**
 * Calls `fn(message)` when the engine panics (at once if it already has); returns an unsubscribe function.
 * @param {(message: string) => void} fn
 * @returns {() => boolean}
 */
export function onEnginePanic(fn) {
  panicListeners.add(fn);
  if (panicMessage !== null) fn(panicMessage);
  return () => panicListeners.delete(fn);
}

/**
 * Every config key's doc by "scope:key" (www/config-docs.json, written by `kafka-sim config-docs` from
 * src/config.rs); without it (a failed fetch) the tooltips keep the key, default and allowed values.
 * @returns {Promise<Record<string, string>>}
 */
async function loadConfigDocs() {
  try {
    const r = await fetch(new URL('./config-docs.json', import.meta.url));
    return r.ok ? /** @type {Record<string, string>} */ (await r.json()) : {};
  } catch (e) {
    console.warn('config docs not loaded', e);
    return {};
  }
}

/** @type {Promise<Engine> | null} */
let ready = null;
/**
 * Initialises the wasm module (once per page) and loads the config definitions.
 * Resolves to { Playground, wasmMemory, defs, limits, preset, customScenario, categories }: what
 * the page offers (limits, presets, the custom cluster, the event categories) comes from the
 * engine (src/page/presets.rs, src/effects.rs). A failed load is retried by the next call.
 * @returns {Promise<Engine>}
 */
export function loadEngine() {
  ready ??= (async () => {
    // The config docs (tooltips) come as a JSON file, fetched while the module compiles.
    // The module's URL from here, not from the glue's own place: index.html's bundle (dist/www/main.js)
    // carries the glue inside it, in www/ beside this file.
    const wasm = new URL('../pkg/kafka_playground_bg.wasm', import.meta.url);
    const [, docs] = await Promise.all([init({ module_or_path: wasm }), loadConfigDocs()]);
    // The generated pkg/*.d.ts (when built) types the views as `any`: use www/types.d.ts's.
    const PlaygroundT = /** @type {PlaygroundClass} */ (/** @type {unknown} */ (Playground));
    const defs = loadDefs(PlaygroundT, docs);
    return {
      Playground: PlaygroundT, wasmMemory, defs,
      limits: /** @type {PageLimits} */ (limits()),
      preset,
      customScenario: (/** @type {ShapeSpec} */ shape) => customScenario(shape),
      categories: /** @type {CategoryView[]} */ (eventCategories()),
    };
  })().catch((e) => { ready = null; throw e; });
  return ready;
}
