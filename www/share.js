// @ts-check
// Sharing a run: "Copy link" (the page's address with #v1.<run>, which replays the run and
// lands on the same moment) and the Export menu (trace JSON, Jepsen EDN history, cluster SVG),
// downloaded through a Blob and an <a download>. Nothing here builds markup from text.
import { el, button } from './dom.js';

/** Saves `text` as a file named `name` (a Blob URL and a click on an <a download>). @param {Document} doc @param {string} text @param {string} name @param {string} type */
export function download(doc, text, name, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = doc.createElement('a');
  a.href = url;
  a.download = name;
  a.hidden = true;
  doc.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

/**
 * The share bar: Copy link (+ its confirmation and a read-only field with the link) and Export.
 * ctx: { pg(), base (the address the link opens: a page that reads #v1.…), error(msg) }.
 */
export class ShareBar {
  /** @param {HTMLElement} root @param {{pg: () => PlaygroundApi, base: string, error: (message: string) => void}} ctx */
  constructor(root, ctx) {
    this.ctx = ctx;
    const doc = root.ownerDocument;
    this.copy = button('Copy link', 'copy-link', 'Copy a link that replays this run and opens it at this moment');
    this.status = el('span', 'share-status');
    this.status.setAttribute('role', 'status');
    this.status.dataset.testid = 'share-status';
    this.field = el('input', 'share-field');
    this.field.type = 'text';
    this.field.readOnly = true;
    this.field.hidden = true;
    this.field.dataset.testid = 'share-link';
    this.field.setAttribute('aria-label', 'Link to this run');
    this.field.addEventListener('focus', () => this.field.select());
    this.copy.addEventListener('click', () => this.copyLink());

    // Export: a small disclosure menu of three downloads.
    const menu = el('details', 'export');
    const sum = el('summary', 'picker-button', 'Export');
    sum.dataset.testid = 'export';
    sum.title = 'Download this run: its trace, a Jepsen-style history, or a picture of the cluster';
    const pop = el('div', 'export-pop');
    const name = (/** @type {string} */ ext) => {
      const pg = ctx.pg();
      return `kafka-playground-seed-${pg.seed()}-t${Math.round(pg.nowMs())}.${ext}`;
    };
    /**
     * @param {string} text @param {string} testid @param {string} title @param {(pg: PlaygroundApi) => string} make
     * @param {string} ext @param {string} type
     */
    const item = (text, testid, title, make, ext, type) => {
      const b = button(text, testid, title);
      b.addEventListener('click', () => {
        menu.open = false;
        let body;
        try { body = make(ctx.pg()); } catch (e) { ctx.error(`Export: ${/** @type {Error} */ (e).message}`); return; }
        download(doc, body, name(ext), type);
      });
      return b;
    };
    pop.append(
      item('Trace (JSON)', 'export-trace', 'The scenario, seed, commands, events and trace hash (JSON)', (pg) => pg.exportTrace(), 'json', 'application/json'),
      item('History (Jepsen EDN)', 'export-history', 'Every producer send and consumer read as invoke / ok / fail operations, for Jepsen-style checkers (EDN)', (pg) => pg.exportHistory(), 'edn', 'application/edn'),
      item('Cluster (SVG)', 'export-svg', 'The cluster view at this moment as a picture (SVG)', (pg) => pg.exportSvg(), 'svg', 'image/svg+xml'));
    menu.append(sum, pop);
    menu.addEventListener('keydown', (e) => { if (e.key === 'Escape' && menu.open) { e.preventDefault(); menu.open = false; sum.focus(); } });
    this.menu = menu;
    /** @param {PointerEvent} e */
    this.onDown = (e) => { if (menu.open && !e.composedPath().includes(menu)) menu.open = false; };
    this.doc = doc;
    doc.addEventListener('pointerdown', this.onDown);
    const wrap = el('span', 'share');
    wrap.append(this.copy, menu, this.status);
    root.append(wrap, this.field);
  }

  destroy() { this.doc.removeEventListener('pointerdown', this.onDown); }

  async copyLink() {
    let link;
    try {
      link = `${this.ctx.base}#${this.ctx.pg().shareFragment()}`;
    } catch (e) {
      this.ctx.error(`Copy link: ${/** @type {Error} */ (e).message}`);
      return;
    }
    this.field.value = link;
    this.field.hidden = false;
    const size = `${link.length.toLocaleString('en')} characters`;
    let copied = false;
    try {
      if (navigator.clipboard?.writeText) {
        await navigator.clipboard.writeText(link);
        copied = true;
      }
    } catch { /* no permission (or no focus): the field below is the fallback */ }
    if (copied) {
      this.status.textContent = `✓ Link copied (${size}): it replays this run and opens it at this moment.`;
    } else {
      this.field.focus();
      this.field.select();
      this.status.textContent = `Copy the selected link (${size}) with Ctrl+C / ⌘C.`;
    }
    this.status.classList.toggle('warn', !copied);
  }
}
