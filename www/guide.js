// @ts-check
// Guided scenarios: the picker (scenarios/index.json, grouped by topic) and the narration
// panel (the current stop's title and text, Back / Next, what it looks at). The stepping
// itself (play up to the next stop, pause there) lives in guide-controller.js and the frame loop
// (loop.js); this module only builds DOM (createElement / textContent, never markup from text)
// and reports clicks.
import { el, button } from './dom.js';

const INDEX_URL = new URL('../scenarios/index.json', import.meta.url);
const fileUrl = (/** @type {string} */ file) => new URL(`../scenarios/${file}.json`, import.meta.url);

/** A look_at target in words (for the narration's "Look at:" line and tooltips). @param {LookTarget} t */
export function targetText(t) {
  switch (t.kind) {
    case 'broker': return `broker-${t.broker}`;
    case 'controller': return 'the controller';
    case 'partition': return `${t.topic}-${t.partition}`;
    case 'replica': return `broker-${t.broker}'s replica of ${t.topic}-${t.partition}`;
    case 'consumer': return `consumer-${t.consumer}`;
    case 'panel': return `the ${PANEL_NAMES[/** @type {string} */ (t.panel)] || t.panel} panel`;
    default: return String(t.kind);
  }
}
/** @type {Record<string, string>} */
const PANEL_NAMES = {
  invariants: 'Invariants', audit: 'client audit', events: 'Event log', metrics: 'Metrics', 'consumer-group': 'Consumer group', reassignments: 'kafka-reassign-partitions.sh',
  describe: 'kafka-topics.sh --describe', segments: 'Log segments', producer: 'Producer',
};

/**
 * The narration panel. `compact` (minimal embeds): one line of title and text, and Next.
 * on: { next(), back() }. Call setStory(story) once, then show(k, at) when the stop changes.
 */
export class Narration {
  /** @param {HTMLElement} root @param {{compact: boolean, on: {next(): void, back(): void}}} opts */
  constructor(root, { compact, on }) {
    this.root = root;
    this.compact = compact;
    this.on = on;
    /** @type {NarrationStop[]} */
    this.stops = [];
    root.hidden = true;
    root.classList.add('narration', compact ? 'narration-compact' : 'card');
    root.dataset.testid = 'narration';
    root.setAttribute('aria-label', 'Guided scenario');
    this.count = el('span', 'narr-count');
    this.count.dataset.testid = 'narration-step';
    this.title = el(compact ? 'strong' : 'h3', 'narr-title');
    this.title.dataset.testid = 'narration-title';
    this.text = el('p', 'narr-text');
    this.text.dataset.testid = 'narration-text';
    this.looks = el('p', 'narr-look');
    this.back = compact ? null : button('‹ Back', 'narration-back', 'Go back to the previous stop (seek: the run is deterministic)');
    this.next = button('Next ›', 'narration-next', 'Play up to the next stop and pause there', 'primary');
    this.back?.addEventListener('click', () => this.on.back());
    this.next.addEventListener('click', () => this.on.next());
    // The text changes with the stop: announced politely (it is what the learner reads next).
    const body = el('div', 'narr-body');
    body.setAttribute('aria-live', 'polite');
    if (compact) {
      body.append(this.count, ' ', this.title, ' ', this.text);
      root.append(body, this.next);
    } else {
      this.name = el('p', 'narr-name');
      this.about = el('details', 'narr-about');
      this.aboutText = el('p');
      this.about.append(el('summary', '', 'about this scenario'), this.aboutText);
      // One head line: the scenario's name and "about", then the step and Back / Next (always at
      // the card's top right, where they stay put while the text below changes length).
      const head = el('div', 'narr-head');
      head.append(this.name, ' ', this.about);
      const nav = el('div', 'narr-nav');
      nav.append(this.count, /** @type {HTMLButtonElement} */ (this.back), this.next);
      const row = el('div', 'narr-row');
      row.append(this.title, nav);
      body.append(this.text, this.looks);
      root.append(head, row, body);
      // A copy of the step and Next for the sticky time bar, shown while this panel is scrolled
      // away (a stop can scroll the page to a panel far below it).
      this.miniCount = button('', 'narration-mini-step', 'Back to the narration');
      this.miniCount.classList.add('link');
      this.miniCount.addEventListener('click', () => { root.scrollIntoView({ block: 'nearest' }); this.next.focus({ preventScroll: true }); });
      this.miniNext = button('Next ›', 'narration-mini-next', '', 'primary');
      this.miniNext.addEventListener('click', () => this.on.next());
      this.mini = el('span', 'narr-mini');
      this.mini.hidden = true;
      this.mini.append(this.miniCount, this.miniNext);
    }
  }

  /** The story from pg.story(); hidden when it has no stops. @param {Story | null} story */
  setStory(story) {
    this.stops = story?.narration || [];
    this.root.hidden = this.stops.length === 0;
    if (!this.compact && story) { // (not compact: name and about exist)
      /** @type {HTMLParagraphElement} */ (this.name).textContent = `Guided scenario: ${story.name}`;
      /** @type {HTMLParagraphElement} */ (this.aboutText).textContent = story.description || '';
      /** @type {HTMLDetailsElement} */ (this.about).hidden = !story.description;
    }
  }

  /** Shows stop k (`text`: its text as the engine filled it, else the file's). `busy`: playing towards the next stop (Next skips there); after the last stop Next plays on freely. */
  /** @param {number} k @param {{busy?: boolean, playing?: boolean, atStart?: boolean, text?: string}} [at] */
  show(k, { busy = false, playing = false, atStart = false, text } = {}) {
    const s = this.stops[k];
    if (!s) return;
    const n = this.stops.length;
    this.count.textContent = this.compact ? `${k + 1}/${n}` : `Step ${k + 1} of ${n}`;
    this.title.textContent = s.title;
    this.text.textContent = text ?? s.text; // `text`: filled from the run by the engine
    this.root.dataset.stop = String(k);
    if (this.looks) {
      const t = (s.look_at || []).map(targetText);
      this.looks.textContent = t.length ? `Look at: ${t.join(' · ')}` : '';
      this.looks.hidden = !t.length;
    }
    const last = k >= n - 1;
    this.next.disabled = last && playing;
    this.next.textContent = last ? (this.compact ? 'Play on ›' : 'Play on freely ›') : busy ? 'Skip ›' : 'Next ›';
    this.next.title = last ? 'The story is over: play on freely (Space pauses)'
      : busy ? 'Playing up to the next stop: skip the rest of the way' : 'Play up to the next stop and pause there';
    if (this.mini) {
      const miniCount = /** @type {HTMLButtonElement} */ (this.miniCount), miniNext = /** @type {HTMLButtonElement} */ (this.miniNext);
      miniCount.textContent = `Step ${k + 1}/${n}: ${s.title}`;
      miniNext.textContent = this.next.textContent;
      miniNext.title = this.next.title;
      miniNext.disabled = this.next.disabled;
    }
    if (this.back) this.back.disabled = k === 0 && atStart;
  }
}

/**
 * The "Guided scenarios" picker: a disclosure button that opens a list of the catalogue
 * (scenarios/index.json) grouped by topic, each with its title and summary. Files the
 * catalogue lists but the server does not have (yet) are left out. choose(file) loads one.
 */
/** @typedef {{file: string, title: string, topic?: unknown, summary?: unknown}} CatalogueEntry scenarios/index.json entry */
export class ScenarioPicker {
  /** @param {HTMLElement} root @param {{current?: string | null, choose: (file: string) => void}} opts */
  constructor(root, { current, choose }) {
    this.choose = choose;
    this.current = current;
    this.loaded = false;
    this.details = el('details', 'picker');
    const sum = el('summary', 'picker-button', 'Guided scenarios');
    sum.dataset.testid = 'scenario-picker';
    sum.title = 'Stories that play out step by step, with narration: pick one to start it';
    this.pop = el('div', 'picker-pop');
    this.pop.dataset.testid = 'scenario-list';
    this.pop.append(el('p', 'picker-note', 'Loading the catalogue…'));
    this.details.append(sum, this.pop);
    root.append(this.details);
    this.details.addEventListener('toggle', () => { if (this.details.open) this.load(); });
    this.details.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && this.details.open) { e.preventDefault(); this.details.open = false; sum.focus(); }
    });
    this.doc = root.ownerDocument;
    /** @param {PointerEvent} e */
    this.onDown = (e) => { if (this.details.open && !e.composedPath().includes(this.details)) this.details.open = false; };
    this.doc.addEventListener('pointerdown', this.onDown);
  }

  destroy() { this.doc.removeEventListener('pointerdown', this.onDown); }

  async load() {
    if (this.loaded) return;
    this.loaded = true;
    /** @type {unknown[]} */
    let list;
    try {
      const res = await fetch(INDEX_URL);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      list = await res.json();
      if (!Array.isArray(list)) throw new Error('not a list');
    } catch (e) {
      this.loaded = false; // try again on the next open
      this.pop.replaceChildren(el('p', 'picker-note', `The catalogue (scenarios/index.json) could not be loaded: ${/** @type {Error} */ (e).message}.`));
      return;
    }
    /** @param {any} x a catalogue entry as parsed (any JSON) @returns {x is CatalogueEntry} */
    const ok = (x) => x && typeof x.file === 'string' && /^[a-z0-9-]{1,64}$/.test(x.file) && typeof x.title === 'string';
    const entries = list.filter(ok);
    // A listed file may not exist yet (still being written): only offer the ones the server has.
    const there = await Promise.all(entries.map((x) => fetch(fileUrl(x.file), { method: 'HEAD' }).then((r) => r.ok, () => false)));
    /** @type {Map<string, CatalogueEntry[]>} */
    const topics = new Map();
    entries.forEach((x, i) => {
      if (!there[i]) return;
      const t = typeof x.topic === 'string' && x.topic ? x.topic : 'Other';
      if (!topics.has(t)) topics.set(t, []);
      /** @type {CatalogueEntry[]} */ (topics.get(t)).push(x);
    });
    /** @type {HTMLElement[]} */
    const kids = [];
    for (const [topic, xs] of topics) {
      const sec = el('section', 'picker-topic');
      sec.append(el('h3', '', topic));
      const ul = el('ul');
      for (const x of xs) {
        const b = button('', `scenario-${x.file}`, `Start “${x.title}” (scenarios/${x.file}.json)`, 'pick');
        b.append(el('span', 'pick-title', x.title), el('span', 'pick-summary', typeof x.summary === 'string' ? x.summary : ''));
        if (x.file === this.current) b.setAttribute('aria-current', 'true');
        b.addEventListener('click', () => { this.details.open = false; this.choose(x.file); });
        const li = el('li');
        li.append(b);
        ul.append(li);
      }
      sec.append(ul);
      kids.push(sec);
    }
    if (!kids.length) kids.push(el('p', 'picker-note', 'No guided scenarios are available on this server.'));
    this.pop.replaceChildren(...kids);
  }
}
