/**
 * The whole-chain fault suite's end checks, pure: over what the run collected (the outbox, what the
 * consumer received, what the adapters had acknowledged, the inbox, the effects in Odoo, the work
 * answers, the dead letters), how many invariants broke and examples of each.
 */

export interface CommittedEvent {
  uuid: string;
  aggregate: string;
  /** Outbox id: the order of the aggregate's events. */
  id: number;
}

export interface EventFigures {
  committed: number;
  delivered: number;
  /** Committed events the consumer never received. */
  lost: number;
  /** Deliveries of an event received before (at-least-once: allowed, counted). */
  redelivered: number;
  /** First deliveries of an event that came after a later event of its aggregate. */
  orderViolations: number;
  examples: string[];
}

/** Invariants 1 and 3: every committed event received at least once, first arrivals in outbox order per aggregate. */
/** `deliveries`: the messageIds the consumer received, in arrival order. */
export function checkEvents(committed: readonly CommittedEvent[], deliveries: readonly string[]): EventFigures {
  const want = new Map(committed.map((e) => [e.uuid, e]));
  const seen = new Set<string>();
  const last = new Map<string, number>();
  const examples: string[] = [];
  let redelivered = 0;
  let orderViolations = 0;
  for (const uuid of deliveries) {
    const e = want.get(uuid);
    if (!e) continue;
    if (seen.has(uuid)) {
      redelivered += 1;
      continue;
    }
    seen.add(uuid);
    const before = last.get(e.aggregate) ?? 0;
    if (e.id < before) {
      orderViolations += 1;
      if (examples.length < 5) examples.push(`order: ${e.aggregate} event ${e.id} arrived after ${before}`);
    }
    last.set(e.aggregate, Math.max(before, e.id));
  }
  const lost = committed.filter((e) => !seen.has(e.uuid));
  for (const e of lost.slice(0, 5)) examples.push(`lost: event ${e.id} ${e.uuid} of ${e.aggregate}`);
  return { committed: committed.length, delivered: seen.size, lost: lost.length, redelivered, orderViolations, examples };
}

export interface InboxRow {
  key: string;
  state: string;
}

export interface UpdateFigures {
  /** Unique updates the gateway had acknowledged to an adapter (durable at the bridge). */
  durable: number;
  applied: number;
  /** Durable updates with no inbox row. */
  lost: number;
  /** Keys with more than one inbox row. */
  double: number;
  /** Updates made bad on purpose that were applied instead of rejected, or good ones rejected. */
  wrongOutcome: number;
  /** Sent by an adapter that was killed before the gateway acknowledged them, and never arrived: the SDK keeps its send buffer in memory. */
  lostAtEdge: number;
  examples: string[];
}

/**
 * Invariant 2 on the inbox: every durable update has exactly one row, applied, or rejected when it was
 * made bad on purpose (`bad`); `racing` ones (for a picking cancelled on purpose while its devices were
 * at it) may be either: applied before the cancel, rejected after it.
 */
export function checkUpdates(o: { sent: ReadonlySet<string>; durable: ReadonlySet<string>; inbox: readonly InboxRow[]; bad: ReadonlySet<string>; racing?: ReadonlySet<string> }): UpdateFigures {
  const rows = new Map<string, InboxRow[]>();
  for (const r of o.inbox) rows.set(r.key, [...(rows.get(r.key) ?? []), r]);
  const examples: string[] = [];
  let lost = 0;
  let wrongOutcome = 0;
  for (const key of o.durable) {
    const mine = rows.get(key);
    if (!mine) {
      lost += 1;
      if (examples.length < 5) examples.push(`lost: update ${key} acknowledged by the gateway, not in the inbox`);
      continue;
    }
    const want = o.bad.has(key) ? ['rejected'] : o.racing?.has(key) ? ['applied', 'rejected'] : ['applied'];
    if (mine.some((r) => !want.includes(r.state))) {
      wrongOutcome += 1;
      if (examples.length < 10) examples.push(`outcome: update ${key} is ${mine.map((r) => r.state).join('/')}, expected ${want.join(' or ')}`);
    }
  }
  const doubles = [...rows].filter(([, r]) => r.length > 1);
  for (const [key, r] of doubles.slice(0, 5)) examples.push(`double: update ${key} has ${r.length} inbox rows`);
  const lostAtEdge = [...o.sent].filter((k) => !o.durable.has(k) && !rows.has(k)).length;
  return { durable: o.durable.size, applied: o.inbox.filter((r) => r.state === 'applied').length, lost, double: doubles.length, wrongOutcome, lostAtEdge, examples };
}

export interface PickingEffect {
  name: string;
  state: string;
  moves: Array<{ product: number; demand: number; quantity: number; picked: boolean }>;
  /** Inbox types applied to the picking. */
  applied: readonly string[];
}

export interface EffectFigures {
  pickings: number;
  done: number;
  /** Effects applied more than once, or without the update that causes them. */
  double: number;
  examples: string[];
}

/**
 * Invariant 2 on Odoo's records: a picked quantity never exceeds the demand (an applied pick applied
 * again would add to it), a picking is done only after its dispatch was applied, and each product's stock
 * went down by exactly what the done pickings delivered.
 */
export function checkEffects(pickings: readonly PickingEffect[], stock: ReadonlyMap<number, { initial: number; now: number }>): EffectFigures {
  const examples: string[] = [];
  let double = 0;
  const delivered = new Map<number, number>();
  for (const p of pickings) {
    for (const m of p.moves) {
      if (m.quantity > m.demand) {
        double += 1;
        if (examples.length < 5) examples.push(`double: ${p.name} product ${m.product} has ${m.quantity} for a demand of ${m.demand}`);
      }
      if (p.state === 'done') delivered.set(m.product, (delivered.get(m.product) ?? 0) + m.quantity);
    }
    if (p.state === 'done' && !p.applied.includes('shipment.dispatched')) {
      double += 1;
      if (examples.length < 5) examples.push(`effect: ${p.name} is done without an applied shipment.dispatched`);
    }
  }
  for (const [product, s] of stock) {
    const expected = s.initial - (delivered.get(product) ?? 0);
    if (Math.abs(s.now - expected) > 1e-6) {
      double += 1;
      if (examples.length < 10) examples.push(`stock: product ${product} has ${s.now}, expected ${expected} (${s.initial} less what was delivered)`);
    }
  }
  return { pickings: pickings.length, done: pickings.filter((p) => p.state === 'done').length, double, examples };
}

export interface WorkFigures {
  /** Work items (one per release, for each family of the pool). */
  items: number;
  acknowledged: number;
  withdrawn: number;
  /** Neither acknowledged by an adapter nor withdrawn (void). */
  unanswered: number;
  /** Work still held in the pool queues at the end. */
  leftInPools: number;
  examples: string[];
}

/** Flow 3: every work item an adapter of its pool acknowledged, or withdrawn because its picking became void. */
export function checkWork(o: { items: ReadonlyArray<{ workId: string; family: string }>; acked: ReadonlySet<string>; withdrawn: ReadonlySet<string>; leftInPools: number }): WorkFigures {
  const examples: string[] = [];
  let acknowledged = 0;
  let withdrawn = 0;
  let unanswered = 0;
  for (const w of o.items) {
    if (o.acked.has(`${w.family} ${w.workId}`)) acknowledged += 1;
    else if (o.withdrawn.has(w.workId)) withdrawn += 1;
    else {
      unanswered += 1;
      if (examples.length < 5) examples.push(`work: ${w.family} work ${w.workId} neither acknowledged nor withdrawn`);
    }
  }
  if (o.leftInPools > 0) examples.push(`work: ${o.leftInPools} messages left in the pool queues`);
  return { items: o.items.length, acknowledged, withdrawn, unanswered, leftInPools: o.leftInPools, examples };
}

export interface DeadFigures {
  dead: number;
  /** Dead letters of inputs that were not made bad on purpose. */
  unexpected: number;
  /** Bad inputs that are not dead-lettered. */
  missing: number;
  withoutReason: number;
  examples: string[];
}

/**
 * Invariant 4: dead letters exactly for the inputs made bad on purpose (`bad`, each must be there), and
 * at most for the updates rejected because they raced a cancel made on purpose (`racing`), each with its reason.
 */
export function checkDeadLetters(dead: ReadonlyArray<{ id: string; reason: string }>, bad: ReadonlySet<string>, racing: ReadonlySet<string> = new Set()): DeadFigures {
  const examples: string[] = [];
  const ids = new Set(dead.map((d) => d.id));
  const unexpected = dead.filter((d) => !bad.has(d.id) && !racing.has(d.id));
  const missing = [...bad].filter((b) => !ids.has(b));
  const withoutReason = dead.filter((d) => !d.reason.trim());
  for (const d of unexpected.slice(0, 5)) examples.push(`dead: ${d.id} dead-lettered (${d.reason}) though it was good`);
  for (const b of missing.slice(0, 5)) examples.push(`dead: bad input ${b} not dead-lettered`);
  for (const d of withoutReason.slice(0, 5)) examples.push(`dead: ${d.id} has no reason`);
  return { dead: dead.length, unexpected: unexpected.length, missing: missing.length, withoutReason: withoutReason.length, examples };
}

export interface ChainFigures {
  events: EventFigures;
  updates: UpdateFigures;
  effects: EffectFigures;
  work: WorkFigures;
  dead: DeadFigures;
}

/** The headline the suite prints and asserts on: each figure must be 0. */
export function violations(f: ChainFigures): Record<string, number> {
  return {
    lost: f.events.lost + f.updates.lost,
    double: f.updates.double + f.effects.double,
    'order violations': f.events.orderViolations,
    'wrong outcomes': f.updates.wrongOutcome,
    'unanswered work': f.work.unanswered + f.work.leftInPools,
    'unexpected dead letters': f.dead.unexpected + f.dead.missing + f.dead.withoutReason,
  };
}

export function summary(f: ChainFigures): string {
  const head = Object.entries(violations(f)).map(([k, v]) => `${k} ${v}`).join(', ');
  return [
    head,
    `events: ${f.events.committed} committed, ${f.events.delivered} delivered (${f.events.redelivered} redeliveries), ${f.events.lost} lost, ${f.events.orderViolations} out of order`,
    `updates: ${f.updates.durable} acknowledged by the gateway, ${f.updates.applied} applied, ${f.updates.lost} lost, ${f.updates.double} double, ${f.updates.lostAtEdge} lost at the edge with a killed adapter's memory (no edge journal)`,
    `effects: ${f.effects.pickings} pickings, ${f.effects.done} done, ${f.effects.double} double effects`,
    `work: ${f.work.items} items, ${f.work.acknowledged} acknowledged, ${f.work.withdrawn} withdrawn, ${f.work.unanswered} unanswered, ${f.work.leftInPools} left in pools`,
    `dead letters: ${f.dead.dead} (${f.dead.unexpected} unexpected, ${f.dead.missing} bad inputs missing, ${f.dead.withoutReason} without reason)`,
    ...[f.events, f.updates, f.effects, f.work, f.dead].flatMap((x) => x.examples),
  ].join('\n');
}
