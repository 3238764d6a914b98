// @ts-check
// The page's DOM helpers: every element the page builds is made with one of these (createElement,
// attributes and textContent; never markup from text).
//
//   h('button', { type: 'button', 'data-testid': 'play', class: 'primary', text: 'Play' }, ...kids)
//   el('span', 'narr-count', 'Step 1 of 7')          // a class and a text
//   button('Next ›', 'narration-next', 'Play up to the next stop', 'primary')

/**
 * createElement with attributes (never markup from text). `class` sets the class name, `text` the
 * text; true is an empty attribute; false, null and undefined leave the attribute out.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag @param {Record<string, string | boolean | null | undefined>} [attrs] @param {...(Node | string)} kids
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === undefined || v === null) continue;
    if (k === 'class') e.className = /** @type {string} */ (v);
    else if (k === 'text') e.textContent = /** @type {string} */ (v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  e.append(...kids);
  return e;
}

/**
 * createElement with a class and a text.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag @param {string} [cls] @param {string} [text]
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** A `type=button` with its text, data-testid, title and class. @param {string} text @param {string} [testid] @param {string} [title] @param {string} [cls] */
export function button(text, testid, title, cls) {
  const b = el('button', cls, text);
  b.type = 'button';
  if (testid) b.dataset.testid = testid;
  if (title) b.title = title;
  return b;
}
