// @ts-check
// embed.html: one <kafka-playground> filling the window, its attributes taken from the URL
// parameters of the same names (validated by the element, like any attribute). Without a
// `height` parameter it is the window's height (scrolling inside when the content is taller).
//
// Self-sizing iframes: the page tells its parent how tall its content is, on load and whenever
// that changes, with postMessage({ type: 'kafka-playground:height', id, height }) (`id`: the `id`
// URL parameter, echoed so a page with several iframes can tell them apart; event.source works
// too). A parent that sets the iframe's height to it shows the playground with no inner scrollbar
// (docs/embed.md has the three lines).
import { ATTRIBUTES } from './options.js';
import './kafka-playground.js';

const params = new URLSearchParams(location.search);
const pg = document.createElement('kafka-playground');
for (const name of ATTRIBUTES) {
  if (params.has(name)) pg.setAttribute(name, /** @type {string} */ (params.get(name)));
}
if (!params.has('height')) pg.setAttribute('height', '100vh');
const unknown = [...new Set(params.keys())].filter((k) => !ATTRIBUTES.includes(k) && k !== 'id');
if (unknown.length) console.warn(`embed.html: unknown parameter(s) ${unknown.join(', ')}; known: ${ATTRIBUTES.join(', ')}, id`);
document.body.append(pg);

// ---------------------------------------------------------------- height → parent
if (window.parent !== window) {
  const id = params.get('id');
  const box = /** @type {HTMLElement} */ (/** @type {ShadowRoot} */ (pg.shadowRoot).querySelector('.kp')); // the element's box (kafka-playground.js makes it first)
  /** The content's own height: what the box would need to show it all without scrolling. */
  const contentHeight = () => {
    if (params.has('height')) return Math.ceil(pg.getBoundingClientRect().height); // a fixed height: that height
    const kids = [...box.children].filter((k) => k.getClientRects().length);
    if (!kids.length) return Math.ceil(box.getBoundingClientRect().height);
    const cs = getComputedStyle(box);
    const top = box.getBoundingClientRect().top - box.scrollTop;
    const bottom = Math.max(...kids.map((k) => k.getBoundingClientRect().bottom + parseFloat(getComputedStyle(k).marginBottom)));
    return Math.ceil(bottom - top + parseFloat(cs.paddingBottom) + parseFloat(cs.borderBottomWidth));
  };
  let said = -1, queued = false;
  const tell = () => {
    queued = false;
    const height = contentHeight();
    if (height === said) return;
    said = height;
    window.parent.postMessage({ type: 'kafka-playground:height', id, height }, '*');
  };
  const soon = () => { if (!queued) { queued = true; requestAnimationFrame(tell); } };
  // The box's children change size (narration, panels, details opened) or are replaced (a restart).
  const ro = new ResizeObserver(soon);
  const watch = () => { ro.disconnect(); ro.observe(box); for (const k of box.children) ro.observe(k); soon(); };
  new MutationObserver(watch).observe(box, { childList: true });
  watch();
  addEventListener('load', soon);
}
