// @ts-check
// Time travel: a scrubber over the recorded run (pg.timeline()), with a tick per command,
// the "viewing the past" line (Fork here / Back to live) and Undo. The engine keeps the run
// as ops with snapshots, so seek() is cheap and exact; this module only shows it and reports
// what the user asks (seek, fork, live, undo) to the frame loop (loop.js).
import { el, button } from './dom.js';

const secs = (/** @type {number} */ ms) => `${(ms / 1000).toFixed(1)} s`;

/** A command in a few words: "crash_broker 2", "cut_link broker-1 → broker-2 (one way)". @param {unknown} c0 a command (or what Undo gave back) */
export function describeCommand(c0) {
  if (!c0 || typeof c0 !== 'object') return String(c0);
  const c = /** @type {Command} */ (c0);
  const bits = [c.type];
  if (c.broker !== undefined) bits.push(String(c.broker));
  if (c.node !== undefined) bits.push(String(c.node));
  if (c.from !== undefined && c.to !== undefined) bits.push(`${c.from} → ${c.to}${c.one_way ? ' (one way)' : ''}`);
  if (c.key !== undefined && c.value !== undefined) bits.push(`${c.key}=${c.value}`);
  else if (c.topic !== undefined && c.partition !== undefined) bits.push(`${c.topic}-${c.partition}`);
  else if (c.topic !== undefined && c.type !== 'set_topic_config') bits.push(String(c.topic));
  if (c.count !== undefined) bits.push(`× ${c.count}`);
  if (c.records_per_sec !== undefined) bits.push(`${c.records_per_sec}/s`);
  if (c.consumer !== undefined) bits.push(`consumer-${c.consumer}`);
  if (c.group_id !== undefined) bits.push(String(c.group_id));
  if (c.extra_latency_ms !== undefined) bits.push(`+${c.extra_latency_ms} ms`);
  if (c.ms !== undefined) bits.push(`${c.ms} ms`);
  return bits.join(' ');
}

/**
 * The scrubber (every mode) and, in full mode, Undo, its note and the "viewing the past" line
 * (root, note and past are placed in the time bar by loop.js).
 * on: { seek(t), fork(), live(), undo() }. update(timeline) at UI rate; setNow(now) per frame.
 */
export class TimeTravel {
  /** @param {{full: boolean, on: {seek(t: number): void, fork(): void, live(): void, undo(): void}}} opts */
  constructor({ full, on }) {
    this.on = on;
    this.full = full;
    /** @type {TimelineView | null} */
    this.tl = null;
    this.ticksKey = '';
    this.dragging = false;
    this.range = el('input');
    this.range.type = 'range';
    this.range.min = '0'; this.range.max = '0'; this.range.step = '1'; this.range.value = '0';
    this.range.dataset.testid = 'scrubber';
    this.range.setAttribute('aria-label', 'Simulated time: drag to travel back in the recorded run');
    this.range.title = 'Drag to go back in time (← / → on the slider: 0.1 s, with Shift: 1 s)';
    this.ticks = el('div', 'ticks');
    this.ticks.setAttribute('aria-hidden', 'true');
    const track = el('div', 'scrub-track');
    track.append(this.range, this.ticks);
    this.root = el('div', 'scrub');
    const label = el('span', 'scrub-label', 'rewind');
    label.setAttribute('aria-hidden', 'true'); // the slider has its own accessible name
    label.title = this.range.title;
    this.root.append(label, track);
    this.range.addEventListener('input', () => on.seek(Number(this.range.value)));
    this.range.addEventListener('pointerdown', () => { this.dragging = true; });
    const up = () => { this.dragging = false; };
    this.range.addEventListener('pointerup', up);
    this.range.addEventListener('pointercancel', up);
    this.range.addEventListener('blur', up);
    // Arrow keys: 0.1 s (1 s with Shift), Page keys 10 s, Home / End: the start / the live end.
    this.range.addEventListener('keydown', (e) => {
      const tl = this.tl;
      if (!tl || e.altKey || e.ctrlKey || e.metaKey) return;
      const now = Number(this.range.value);
      const d = /** @type {Record<string, number>} */ ({ ArrowLeft: -1, ArrowDown: -1, ArrowRight: 1, ArrowUp: 1 })[e.key];
      /** @type {number | null} */
      let t = null;
      if (d) t = now + d * (e.shiftKey ? 1000 : 100);
      else if (e.key === 'PageUp') t = now + 10000;
      else if (e.key === 'PageDown') t = now - 10000;
      else if (e.key === 'Home') t = tl.start_ms;
      else if (e.key === 'End') t = tl.end_ms;
      if (t === null) return;
      e.preventDefault();
      on.seek(Math.min(tl.end_ms, Math.max(tl.start_ms, t)));
    });
    if (!full) return;
    this.undo = button('Undo', 'undo', 'Go back to just before your last command and forget it');
    this.undo.disabled = true;
    this.undo.addEventListener('click', () => on.undo());
    this.note = el('span', 'tt-note');
    this.note.setAttribute('role', 'status');
    this.note.dataset.testid = 'undo-note';
    this.root.append(this.undo);
    // Shown while looking at the past.
    this.past = el('div', 'past');
    this.past.dataset.testid = 'past';
    this.past.hidden = true;
    this.pastText = el('span', 'past-text');
    const fork = button('Fork here', 'fork', 'Discard what was recorded after this moment and go on from here');
    const live = button('Back to live', 'live', 'Go to the end of the recorded run');
    fork.addEventListener('click', () => on.fork());
    live.addEventListener('click', () => on.live());
    this.past.append(this.pastText, fork, live);
  }

  /** Says what Undo did (until the next Undo or command). @param {string} text */
  say(text) { if (this.note) { this.note.textContent = text; this.note.title = text; } }

  /** The run changed (UI rate): span, ticks, the past line, Undo. @param {TimelineView} tl */
  update(tl) {
    this.tl = tl;
    const span = Math.max(1, tl.end_ms - tl.start_ms);
    if (!this.dragging) {
      this.range.min = String(tl.start_ms);
      this.range.max = String(tl.end_ms);
      this.range.value = String(tl.now_ms);
    }
    this.range.setAttribute('aria-valuetext', `t+${secs(tl.now_ms)} of ${secs(tl.end_ms)}`);
    const key = `${tl.start_ms}|${tl.end_ms}|${tl.commands.length}|${tl.commands.at(-1)?.at_ms}`;
    if (key !== this.ticksKey) {
      this.ticksKey = key;
      const shown = tl.commands.slice(-400); // a mark per command (the newest when there are very many)
      this.ticks.replaceChildren(...shown.map(({ at_ms, command }) => {
        const t = el('span', 'tick');
        t.style.left = `${((at_ms - tl.start_ms) / span) * 100}%`;
        t.title = `t+${(at_ms / 1000).toFixed(3)} s: ${describeCommand(command)}\n${JSON.stringify(command)}`;
        return t;
      }));
    }
    if (!this.full) return;
    // Full mode: Undo and the past line exist.
    const undo = /** @type {HTMLButtonElement} */ (this.undo), past = /** @type {HTMLDivElement} */ (this.past);
    undo.disabled = tl.commands.length === 0;
    const last = tl.commands.at(-1);
    undo.title = last ? `Undo ${describeCommand(last.command)} (t+${secs(last.at_ms)}): go back to just before it and forget it` : 'Nothing to undo: no commands yet';
    past.hidden = tl.at_end;
    if (!tl.at_end) /** @type {HTMLSpanElement} */ (this.pastText).textContent = `Viewing t+${secs(tl.now_ms)} of ${secs(tl.end_ms)} — play continues the recorded run`;
  }

  /** The thumb follows the clock every frame (not while dragged). @param {number} now */
  setNow(now) {
    if (this.dragging || !this.tl) return;
    if (now > this.tl.end_ms) { this.tl.end_ms = now; this.range.max = String(now); }
    if (this.range.value !== String(now)) this.range.value = String(now);
  }
}
