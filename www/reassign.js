// @ts-check
// The reassignment panel: kafka-reassign-partitions.sh on the page. Pick a partition, type the
// broker ids it should live on (a longer or shorter list changes its replication factor), an
// optional --throttle, then execute or cancel. Below, every move in progress as the engine
// reports it (pg.reassignments(): from → to, each adding replica's progress and throttle, what
// completes it). Nothing here decides anything about Kafka: the form sends one command and the
// list shows the engine's words.
import { el, button } from './dom.js';

/** What kafka-reassign-partitions.sh does, for the panel's hint. */
const HINT = 'The controller adds the new replicas to the partition, they fetch from the leader, and once every new replica is in the ISR the same change removes the old ones (leadership moves if the leader is one of them). A throttle (bytes/s) slows the copying of out-of-sync replicas, as --throttle does.';

export class ReassignPanel {
  /** @param {HTMLElement} root @param {App} app */
  constructor(root, app) {
    this.app = app;
    this.lastKey = '';
    this.lastStructure = -1;
    const form = el('div', 'ctl reassign-form');
    this.part = el('select');
    this.part.id = 'ctl-reassign-partition'; this.part.dataset.testid = 'reassign-partition';
    const partLab = el('label', 'key small', 'partition');
    partLab.htmlFor = this.part.id;
    this.target = el('input');
    this.target.type = 'text'; this.target.id = 'ctl-reassign-replicas'; this.target.size = 10; this.target.autocomplete = 'off';
    this.target.dataset.testid = 'reassign-replicas';
    this.target.title = 'The broker ids the partition should live on, the preferred leader first (e.g. 2,3,4)';
    const targetLab = el('label', 'key small', 'replicas');
    targetLab.htmlFor = this.target.id;
    this.throttle = el('input');
    this.throttle.type = 'text'; this.throttle.id = 'ctl-reassign-throttle'; this.throttle.size = 8; this.throttle.autocomplete = 'off';
    this.throttle.inputMode = 'numeric'; this.throttle.placeholder = 'none';
    this.throttle.dataset.testid = 'reassign-throttle';
    this.throttle.title = '--throttle in bytes/s: leader/follower.replication.throttled.rate on the brokers of the move, and its replicas listed in the topic\'s *.replication.throttled.replicas';
    const throttleLab = el('label', 'key small', 'throttle B/s');
    throttleLab.htmlFor = this.throttle.id;
    const exec = button('execute', 'reassign-execute', 'kafka-reassign-partitions.sh --execute: move the partition to these replicas');
    const cancel = button('cancel', 'reassign-cancel', 'kafka-reassign-partitions.sh --cancel: revert the move in progress (the adding replicas leave)');
    exec.addEventListener('click', () => this.execute());
    cancel.addEventListener('click', () => {
      const p = this.selected();
      if (p) this.app.run({ type: 'alter_partition_reassignments', topic: p.topic, partition: p.partition, replicas: null });
    });
    this.part.addEventListener('change', () => this.prefill());
    form.append(partLab, this.part, targetLab, this.target, throttleLab, this.throttle, exec, cancel);
    const hint = el('p', 'hint', HINT);
    this.list = el('div', 'reassign-list');
    this.list.dataset.testid = 'reassignments';
    this.list.setAttribute('aria-live', 'polite');
    root.append(form, hint, this.list);
  }

  /** @returns {{topic: string, partition: number} | null} */
  selected() {
    const [topic, p] = this.part.value.split('\u0000');
    return topic ? { topic, partition: Number(p) } : null;
  }

  /** The target field starts as the partition's current replicas (what the engine's structure says). */
  prefill() {
    const s = this.app.structure, sel = this.selected();
    const p = s && sel ? s.partitions.find((x) => x.topic === sel.topic && x.partition === sel.partition) : null;
    if (p) this.target.value = p.replicas.join(',');
  }

  execute() {
    const sel = this.selected();
    if (!sel) return;
    // Broker ids as typed: numbers stay numbers, anything else goes as text so the engine names it.
    const replicas = this.target.value.split(',').map((x) => x.trim()).filter((x) => x !== '').map((x) => (/^-?\d+$/.test(x) ? Number(x) : x));
    const t = this.throttle.value.trim();
    /** @type {Command} */
    const cmd = { type: 'alter_partition_reassignments', topic: sel.topic, partition: sel.partition, replicas };
    if (t !== '') cmd.throttle = /^\d+$/.test(t) ? Number(t) : t;
    this.app.run(cmd);
  }

  /** The partition choices, when the structure changes. @param {Structure} s */
  setStructure(s) {
    if (s.version === this.lastStructure) return;
    this.lastStructure = s.version;
    const keep = this.part.value;
    this.part.replaceChildren(...s.partitions.filter((p) => !p.topic.startsWith('__')).map((p) => {
      const o = el('option', '', `${p.topic}-${p.partition}`);
      o.value = `${p.topic}\u0000${p.partition}`;
      return o;
    }));
    if (keep && [...this.part.options].some((o) => o.value === keep)) this.part.value = keep;
    if (document.activeElement !== this.target) this.prefill();
  }

  /** @param {ReassignmentView[]} moves pg.reassignments() */
  update(moves) {
    const key = JSON.stringify(moves);
    if (key === this.lastKey) return;
    this.lastKey = key;
    if (!moves.length) {
      this.list.replaceChildren(el('p', 'hint', 'No reassignment in progress (kafka-reassign-partitions.sh --list shows none).'));
      return;
    }
    this.list.replaceChildren(...moves.map((m) => {
      const box = el('div', 'reassign-move');
      box.dataset.testid = `reassignment-${m.topic}-${m.partition}`;
      box.append(el('p', 'reassign-head', m.text));
      for (const r of m.progress) {
        const row = el('div', `reassign-rep${r.in_isr ? ' done' : ''}${r.throttled ? ' throttled' : ''}`);
        const bar = el('span', 'reassign-bar');
        const fill = el('span', 'reassign-fill');
        fill.style.width = `${r.percent.toFixed(1)}%`;
        bar.append(fill);
        bar.setAttribute('aria-hidden', 'true');
        row.append(bar, el('span', '', r.text));
        box.append(row);
      }
      box.append(el('p', 'hint', `Waiting for ${m.waiting_for}.`));
      return box;
    }));
  }
}
