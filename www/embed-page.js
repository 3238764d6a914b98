// embed.html: one <kafka-playground> filling the window, its attributes taken from the URL
// parameters of the same names (validated by the element, like any attribute). Without a
// `height` parameter it is the window's height (scrolling inside when the content is taller).
import { ATTRIBUTES } from './options.js';
import './kafka-playground.js';

const params = new URLSearchParams(location.search);
const pg = document.createElement('kafka-playground');
for (const name of ATTRIBUTES) {
  if (params.has(name)) pg.setAttribute(name, params.get(name));
}
if (!params.has('height')) pg.setAttribute('height', '100vh');
const unknown = [...new Set(params.keys())].filter((k) => !ATTRIBUTES.includes(k));
if (unknown.length) console.warn(`embed.html: unknown parameter(s) ${unknown.join(', ')}; known: ${ATTRIBUTES.join(', ')}`);
document.body.append(pg);
