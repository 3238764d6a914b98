// @ts-check
// The consumer group panel: add consumers (group id, assignor), one row per consumer with
// its state and fault buttons, and the group's per-partition committed offset / LEO / lag
// (what kafka-consumer-groups.sh --describe shows). Refreshed from pg.clients() a few
// times per second; DOM rows are rebuilt only when their text changes.
import { el, button } from './dom.js';

const ASSIGNORS = [
  ['range', 'range: consecutive partitions per member (eager: all revoked on rebalance)'],
  ['roundrobin', 'roundrobin: partitions dealt out in turn (eager)'],
  ['cooperative-sticky', 'cooperative-sticky: keeps what it can, moves only what must move (incremental)'],
];

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag @param {string} text @param {string} [cls]
 */
const cell = (tag, text, cls = '') => el(tag, cls, text);

export class ConsumerPanel {
  /** app: {run(cmd) → bool, structure, error(msg)}. @param {HTMLElement} root @param {App} app */
  constructor(root, app) {
    this.app = app;
    this.lastRows = '';
    this.lastGroups = '';

    // Add a consumer.
    const form = el('div', 'ctl group-form');
    const gid = el('input');
    gid.type = 'text'; gid.id = 'ctl-group-id'; gid.value = 'demo-group'; gid.size = 12; gid.autocomplete = 'off';
    gid.dataset.testid = 'group-id';
    const gidLab = el('label', 'key small', 'group.id');
    gidLab.htmlFor = gid.id;
    const strat = el('select');
    strat.id = 'ctl-assignor'; strat.dataset.testid = 'assignor';
    for (const [v, t] of ASSIGNORS) { const o = el('option', '', v); o.value = v; o.title = t; strat.append(o); }
    const stratLab = el('label', 'key small', 'partition.assignment.strategy');
    stratLab.htmlFor = strat.id;
    stratLab.title = strat.title = 'The assignor the group uses (all members must support it). range and roundrobin are eager: every member gives up all its partitions at each rebalance; cooperative-sticky only moves what has to move.';
    const add = button('add consumer', 'add-consumer', 'start_consumer: a new member of this group, subscribed to the first topic');
    add.addEventListener('click', () => {
      const topic = /** @type {Structure} */ (this.app.structure).topics.find((t) => !t.internal)?.name;
      if (!topic) { this.app.error('add consumer: there is no topic to subscribe to'); return; }
      this.app.run({ type: 'start_consumer', group_id: gid.value.trim(), topics: [topic], config: { 'partition.assignment.strategy': strat.value } });
    });
    form.append(gidLab, gid, stratLab, strat, add);
    this.hint = el('p', 'hint group-hint',
      'Each consumer joins the group through its coordinator (the leader of the group\'s __consumer_offsets partition). Crash one and the others take its partitions after session.timeout.ms (45 s); stall one past max.poll.interval.ms and it is removed.');

    // Consumers.
    this.consumers = el('table', 'ctable');
    this.consumers.dataset.testid = 'consumers';
    const ch = el('tr');
    for (const h of ['consumer', 'state', 'gen', 'assignment', 'position / lag', 'consumed', '']) ch.append(cell('th', h));
    const chead = el('thead'); chead.append(ch);
    this.cbody = el('tbody');
    this.consumers.append(chead, this.cbody);
    this.cwrap = el('div', 'twrap');
    this.cwrap.append(this.consumers);
    // The errors consumers received, under the table (it may scroll sideways; these lines wrap).
    this.errs = el('div', 'c-errlist');
    this.errs.dataset.testid = 'consumer-errors';

    // Groups: per partition.
    this.groups = el('div', 'groups');
    this.groups.dataset.testid = 'group-table';
    root.append(form, this.hint, this.cwrap, this.errs, this.groups);
    this.update({ consumers: [], groups: [] });
  }

  /** From pg.clients(). @param {{consumers: ConsumerView[], groups: GroupView[]}} c */
  update(c) {
    const rowsKey = JSON.stringify(c.consumers.map((x) => [x.id, x.state, x.crashed, x.stalled_ms > 0, x.generation, x.assignment, x.positions, x.consumed, x.recent_errors]));
    if (rowsKey !== this.lastRows) {
      this.lastRows = rowsKey;
      this.renderConsumers(c.consumers);
    }
    const groupsKey = JSON.stringify(c.groups) + JSON.stringify(c.consumers.map((x) => [x.group_id, x.crashed]));
    if (groupsKey !== this.lastGroups) {
      this.lastGroups = groupsKey;
      this.renderGroups(c.groups, c.consumers);
    }
  }

  /** @param {ConsumerView[]} list */
  renderConsumers(list) {
    this.cwrap.hidden = list.length === 0;
    /** @type {HTMLDivElement[]} */
    const errs = [];
    this.cbody.replaceChildren(...list.map((x) => {
      const tr = el('tr');
      const name = `consumer-${x.id}`;
      tr.dataset.testid = name;
      const closed = x.state === 'closed';
      const state = x.crashed ? 'crashed' : x.stalled_ms > 0 ? `stalled ${Math.ceil(x.stalled_ms / 1000)} s` : x.state.replace(/_/g, ' ');
      tr.dataset.state = x.crashed ? 'crashed' : x.state;
      tr.className = x.crashed ? 'c-dead' : closed ? 'c-closed' : x.stalled_ms > 0 ? 'c-stalled' : '';
      const nameCell = cell('td', name, 'mono');
      nameCell.title = `group ${x.group_id}, generation ${x.generation < 0 ? 'none yet' : x.generation}, topics [${x.topics.join(', ')}], assignor ${x.assignor}${x.member_id ? `\nmember id ${x.member_id}` : ''}${x.coordinator != null ? `\ncoordinator broker-${x.coordinator}` : ''}\n` +
        `rebalances ${x.stats.rebalances}, commits ${x.stats.commits} (${x.stats.commit_failures} failed), truncations detected ${x.stats.truncations_detected}, offset resets ${x.stats.offset_resets}`;
      const pos = x.positions.map((p) => `${p.partition}@${p.offset}${p.lag > 0 ? ` (lag ${p.lag})` : ''}${p.state !== 'fetching' ? ` ${p.state.replace(/_/g, ' ')}` : ''}`).join(', ');
      const acts = el('td', 'acts');
      const live = !x.crashed && !closed;
      /** @param {string} key @param {string} text @param {string} title @param {Command} cmd */
      const mk = (key, text, title, cmd) => {
        const b = button(text, `${name}-${key}`, title);
        b.disabled = !live;
        b.addEventListener('click', () => this.app.run(cmd));
        acts.append(b);
      };
      mk('crash', 'crash', 'crash_consumer: the process dies without leaving the group; the coordinator notices after session.timeout.ms', { type: 'crash_consumer', consumer: x.id });
      mk('stop', 'stop', 'stop_consumer: consumer.close(), commits (with auto-commit) and leaves the group at once', { type: 'stop_consumer', consumer: x.id });
      mk('stall', 'stall 60 s', 'stall_consumer: poll() is not called for 60 s (heartbeats go on); past max.poll.interval.ms the member is removed', { type: 'stall_consumer', consumer: x.id, ms: 60000 });
      mk('commit', 'commit', 'commit_offsets: commitSync() of the current positions', { type: 'commit_offsets', consumer: x.id });
      tr.append(nameCell, cell('td', state, 'st'), cell('td', String(x.generation < 0 ? '–' : x.generation), 'num'),
        cell('td', x.assignment.length ? x.assignment.map((a) => a.replace(/.*-/, '')).join(', ') : '–', 'mono'),
        cell('td', pos || '–', 'mono small'), cell('td', String(x.consumed), 'num'), acts);
      tr.cells[3].title = x.crashed ? `${x.assignment.join(', ')}: what the crashed process last held; the group reassigns it after session.timeout.ms` : x.assignment.join(', ');
      if (x.crashed) tr.cells[3].classList.add('stale');
      if (x.recent_errors?.length) { // newest first: Kafka's name, what about, when, why
        const box = el('div', 'c-errs');
        box.dataset.testid = `${name}-errors`;
        box.dataset.errors = x.recent_errors.map((r) => r.last.error).join(' ');
        for (const r of x.recent_errors) {
          const line = el('div', 'c-err');
          line.append(el('span', 'c-err-who', `${name}: `), el('b', '', `${r.last.error}${r.count > 1 ? ` ×${r.count}` : ''}`),
            ` (${r.last.about}, t+${(r.last.at_ms / 1000).toFixed(1)} s): ${r.last.reason}`);
          box.append(line);
        }
        errs.push(box);
      }
      return tr;
    }));
    this.errs.replaceChildren(...errs);
  }

  /** @param {GroupView[]} groups @param {ConsumerView[]} consumers */
  renderGroups(groups, consumers) {
    /** @type {HTMLElement[]} */
    const kids = [];
    const ids = [...new Set(consumers.map((x) => x.group_id))];
    for (const id of ids) {
      const g = groups.find((v) => v.group_id === id);
      if (!g) {
        kids.push(el('p', 'group-head bad', `${id}: coordinator not available (its __consumer_offsets partition has no leader)`));
        continue;
      }
      const members = g.members.length;
      kids.push(el('p', 'group-head', `${id} · ${g.state} · generation ${g.generation} · ${g.protocol ?? 'no protocol'} · ${members} member${members === 1 ? '' : 's'} · coordinator broker-${g.coordinator}`));
      const t = el('table', 'gtable');
      t.dataset.group = id;
      const hr = el('tr');
      for (const h of ['partition', 'owner', 'committed', 'log end', 'lag']) hr.append(cell('th', h));
      const th = el('thead'); th.append(hr);
      const tb = el('tbody');
      for (const p of g.partitions) {
        const tr = el('tr');
        tr.dataset.partition = `${p.topic}-${p.partition}`;
        tr.dataset.owner = p.client_id ?? '';
        const num = (/** @type {number} */ v) => (v < 0 ? '–' : String(v));
        tr.append(cell('td', `${p.topic}-${p.partition}`, 'mono'), cell('td', p.client_id ?? 'unassigned', p.client_id ? 'mono' : 'muted'),
          cell('td', num(p.current_offset), 'num'), cell('td', String(p.log_end_offset), 'num'), cell('td', num(p.lag), p.lag > 0 ? 'num lagging' : 'num'));
        tb.append(tr);
      }
      t.append(th, tb);
      kids.push(t);
    }
    if (!kids.length) kids.push(el('p', 'hint', 'No consumers yet: add one above.'));
    this.groups.replaceChildren(...kids);
  }
}
