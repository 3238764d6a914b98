// @ts-check
// The live strip under the cluster picture: the producer's card (its last error in Kafka's
// name with the broker's reason, acknowledged / failed sends / retried attempts, requests in
// flight) and the timers the engine is running (follower lag, broker session, acks=all writes
// waiting for the high watermark, consumer sessions), each as a number and a draining bar.
// Everything comes from engine views (pg.clients().producer, pg.countdowns()): nothing here
// decides anything about Kafka, it only writes the engine's words and numbers.
import { el, button } from './dom.js';

const sec = (/** @type {number} */ ms) => `${(ms / 1000).toFixed(1)} s`;

export class LiveStrip {
  /** @param {HTMLElement} root */
  constructor(root) {
    this.root = root;
    this.card = el('div', 'live-card live-producer');
    this.card.dataset.testid = 'producer-card';
    this.head = el('p', 'live-head');
    this.counts = el('p', 'live-counts');
    this.err = el('p', 'live-error');
    this.err.dataset.testid = 'producer-error';
    this.warn = el('p', 'live-warn');
    this.flight = el('p', 'live-flight');
    this.card.append(this.head, this.counts, this.err, this.warn, this.flight);
    this.timers = el('ul', 'live-card live-timers');
    this.timers.dataset.testid = 'timers';
    this.timers.setAttribute('aria-label', 'Timers the cluster is running');
    // The ghosts drawn on the strips, in words, with the button that hides them (pg.dismissGhosts()).
    this.ghosts = el('p', 'live-ghosts');
    this.ghosts.dataset.testid = 'ghosts';
    this.ghostText = el('span', 'live-ghosts-text');
    this.dismiss = button('Dismiss ghosts', 'dismiss-ghosts', 'Stop drawing these lost records (rewinding to an earlier moment shows that moment\'s ghosts again)');
    this.dismiss.addEventListener('click', () => this.onDismissGhosts?.());
    this.ghosts.append(this.ghostText, this.dismiss);
    this.ghosts.hidden = true;
    /** @type {(() => void) | null} */
    this.onDismissGhosts = null;
    root.append(this.card, this.timers, this.ghosts);
  }

  /** @param {GhostView[]} list pg.ghosts() */
  updateGhosts(list) {
    const n = list ? list.length : 0;
    this.ghosts.hidden = n === 0;
    this.ghosts.classList.toggle('acked', !!list && list.some((g) => g.acknowledged_lost > 0)); // red: acknowledged writes lost
    set(this.ghostText, n ? `Drawn as ghosts: ${list.map((g) => `broker ${g.broker}, ${g.topic}-${g.partition}: ${g.label}`).join(' · ')} ` : '');
  }

  /**
   * @param {ProducerView | undefined} producer ProducerView (clients().producer)
   * @param {Countdowns | undefined} cd Countdowns (countdowns())
   */
  update(producer, cd) {
    if (producer) this.updateProducer(producer, cd ? cd.now_ms : 0);
    if (cd) this.updateTimers(cd);
  }

  /** @param {ProducerView} p @param {number} now */
  updateProducer(p, now) {
    const s = p.settings;
    set(this.head, `producer-1 · acks=${s.acks} · retries=${s.retries === '2147483647' ? 'MAX' : s.retries} · idempotence ${p.idempotent ? 'on' : 'off'}`);
    set(this.counts, `${p.acknowledged} acknowledged · ${p.failed} failed sends (given up) · ${p.failed_attempts_retried} failed attempts retried`);
    // One line per error name, newest first (the engine's recent_errors): a flood of one error
    // (NETWORK_EXCEPTION from a dead leader) never hides another (NOT_ENOUGH_REPLICAS).
    const errs = p.recent_errors || [];
    if (errs.length) {
      const lines = errs.map((r) => {
        const e = r.last;
        const where = [e.topic_partition, e.broker != null ? `broker ${e.broker}` : ''].filter(Boolean).join(' on ');
        return `${e.error} ×${r.count}${where ? ` (latest: ${where})` : ''}: ${e.reason} — ${e.retried ? 'will retry' : 'send failed'} · ${sec(now - e.at_ms)} ago`;
      });
      const text = lines.join('');
      if (this.err.textContent !== text) {
        this.err.replaceChildren(...lines.map((l, i) => el('span', i === 0 ? 'live-error-line latest' : 'live-error-line', l)));
      }
      this.err.dataset.error = errs[0].last.error;
      this.err.dataset.errors = errs.map((r) => r.last.error).join(',');
      this.err.classList.toggle('fresh', now - errs[0].last.at_ms < 5000);
    } else {
      set(this.err, 'no error so far');
      this.err.dataset.error = '';
      this.err.dataset.errors = '';
      this.err.classList.remove('fresh');
    }
    set(this.warn, p.warnings.join(' '));
    this.warn.hidden = p.warnings.length === 0;
    const max = Number(s['max.in.flight.requests.per.connection']);
    const fl = p.in_flight_by_broker.map((f) => `${f.requests}/${max} to broker ${f.broker} (oldest ${sec(now - f.oldest_sent_ms)} of request.timeout.ms=${s['request.timeout.ms']})`);
    set(this.flight, fl.length ? `in flight: ${fl.join(' · ')}` : 'nothing in flight');
  }

  /** @param {Countdowns} cd */
  updateTimers(cd) {
    /** @type {Array<{key:string,text:string,left:number,limit:number,tip:string}>} */
    const rows = [];
    for (const f of cd.followers.filter((x) => x.in_isr)) { // out of the ISR: the strip says so
      const tp = `${f.topic}-${f.partition}`;
      rows.push({
        key: `f:${tp}:${f.broker}`,
        text: f.remaining_ms > 0
          ? `broker ${f.broker}, follower of ${tp}: not caught up for ${sec(f.since_caught_up_ms)} of replica.lag.time.max.ms=${f.limit_ms} → out of sync in ${sec(f.remaining_ms)}`
          : `broker ${f.broker}, follower of ${tp}: out of sync (${sec(f.since_caught_up_ms)} > replica.lag.time.max.ms=${f.limit_ms})${f.in_isr ? ` · leader ${f.leader} shrinks the ISR at its next check, in ${sec(f.next_check_in_ms)}` : ''}`,
        left: f.remaining_ms, limit: f.limit_ms,
        tip: 'Replica.isCaughtUp: a follower stays in the ISR while it has fetched up to the leader\'s log end within replica.lag.time.max.ms; the leader checks every replica.lag.time.max.ms / 2.',
      });
    }
    for (const b of cd.brokers) {
      rows.push({
        key: `b:${b.broker}`,
        text: `broker ${b.broker}: no heartbeat for ${sec(b.silent_ms)} of broker.session.timeout.ms=${b.limit_ms} → the controller fences it in ${sec(b.remaining_ms)}${b.registration_refused ? ' (its restarted process is refused registration until then: DUPLICATE_BROKER_REGISTRATION)' : ''}`,
        left: b.remaining_ms, limit: b.limit_ms,
        tip: 'The controller fences a broker it has not heard a heartbeat from for broker.session.timeout.ms, then removes it from every ISR and moves its leaderships. A restarted broker cannot register while the old incarnation\'s session is valid (ClusterControlManager.registerBroker): it retries until the session ends.',
      });
    }
    for (const b of cd.startups) {
      rows.push({
        key: `s:${b.broker}`,
        text: `broker ${b.broker} is starting (JVM, loading its logs): ${sec(b.elapsed_ms)} of sim.broker.startup.ms=${b.limit_ms} → it registers with the controller in ${sec(b.remaining_ms)}`,
        left: b.remaining_ms, limit: b.limit_ms,
        tip: 'Until it has registered, been unfenced and caught up, a starting broker is in no ISR: this is what a hasty rolling restart does not wait for.',
      });
    }
    for (const w of cd.produces) {
      rows.push({
        key: `p:${w.broker}:${w.topic}:${w.partition}:${w.base_offset}`,
        text: `acks=all write at ${w.topic}-${w.partition} offset ${w.base_offset} waits on broker ${w.broker} for HW ${w.required_offset}: ${sec(w.waited_ms)} of ${w.timeout_ms} ms → REQUEST_TIMED_OUT in ${sec(w.remaining_ms)}`,
        left: w.remaining_ms, limit: w.timeout_ms,
        tip: 'DelayedProduce: an acks=all write is answered when the high watermark passes it, or with REQUEST_TIMED_OUT after the request\'s timeout. The HW does not advance while the ISR is smaller than min.insync.replicas.',
      });
    }
    for (const c of cd.consumers) {
      rows.push({
        key: `c:${c.member_id}`,
        text: `${c.client_id} (${c.group_id}): silent for ${sec(c.silent_ms)} of session.timeout.ms=${c.limit_ms} → removed from the group in ${sec(c.remaining_ms)}`,
        left: c.remaining_ms, limit: c.limit_ms,
        tip: 'The group coordinator removes a member it has not heard from for session.timeout.ms and rebalances its partitions.',
      });
    }
    for (const q of cd.requests || []) {
      rows.push({
        key: `r:${q.client}:${q.broker}`,
        text: `${q.client}: ${q.requests} request(s) to broker ${q.broker} unanswered for ${sec(q.waited_ms)} of request.timeout.ms=${q.limit_ms} → REQUEST_TIMED_OUT in ${sec(q.remaining_ms)}`,
        left: q.remaining_ms, limit: q.limit_ms,
        tip: 'NetworkClient: a request with no answer within request.timeout.ms fails with REQUEST_TIMED_OUT, and so does every other request on that connection. A broker that lost power sends nothing, not even a reset, so only this timer ends the wait.',
      });
    }
    // Most urgent first; a few at most (the rest are counted).
    rows.sort((a, b) => a.left - b.left || (a.key < b.key ? -1 : 1));
    const shown = rows.slice(0, 4);
    const items = shown.map((r) => {
      const li = el('li', `timer${r.left === 0 ? ' expired' : ''}`);
      li.title = r.tip;
      li.dataset.key = r.key;
      li.dataset.remainingMs = String(r.left);
      const bar = el('span', 'timer-bar');
      const fill = el('span', 'timer-fill');
      fill.style.width = `${Math.max(0, Math.min(100, (100 * r.left) / Math.max(1, r.limit))).toFixed(1)}%`;
      bar.append(fill);
      bar.setAttribute('aria-hidden', 'true');
      li.append(bar, el('span', 'timer-text', r.text));
      return li;
    });
    if (rows.length > shown.length) items.push(el('li', 'timer-more', `… and ${rows.length - shown.length} more timers`));
    if (!items.length) items.push(el('li', 'timer-none', 'No timer running: no ISR follower is falling behind, no request is waiting, every unfenced broker heartbeats.'));
    this.timers.dataset.empty = String(rows.length === 0);
    this.timers.replaceChildren(...items);
  }
}

/** @param {HTMLElement} node @param {string} text */
function set(node, text) {
  if (node.textContent !== text) node.textContent = text;
}
