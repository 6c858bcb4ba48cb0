/**
 * The gateway-wide ingest budget: bytes and count of adapter messages the gateway holds, from the
 * moment grpc-js hands a message's bytes over (readgate.ts) until it is answered (acked or rejected,
 * which for updates means after the broker confirmed), plus the ERP updates derived from telemetry
 * while they wait for their confirms (their JSON size). When a message spends the budget, every stream
 * stops reading at once (no more HTTP/2 WINDOW_UPDATEs, so the adapters' writes block) and all resume
 * when the holdings fell below the low-water mark. A slow broker therefore slows the adapters down
 * instead of growing the heap: the gateway never holds more than the budget plus the one message that
 * spent it. Pure bookkeeping, no I/O: the sessions pause and resume their calls.
 */
export interface BudgetLimits {
  /** Wire bytes of unanswered adapter messages over all streams. */
  maxBytes: number;
  /** Unanswered adapter messages over all streams. */
  maxMessages: number;
  /** Fraction of both limits below which the streams resume (default 0.5). */
  lowWater?: number;
}

export interface BudgetMember {
  hold(): void;
  release(): void;
}

export class IngestBudget {
  bytes = 0;
  messages = 0;
  peakBytes = 0;
  peakMessages = 0;
  /** Times the budget was spent and all streams stopped reading. */
  holds = 0;
  private holding = false;
  private readonly members = new Set<BudgetMember>();
  private readonly lowBytes: number;
  private readonly lowMessages: number;

  constructor(readonly limits: BudgetLimits) {
    const low = limits.lowWater ?? 0.5;
    this.lowBytes = limits.maxBytes * low;
    this.lowMessages = limits.maxMessages * low;
  }

  /** A stream joins; it is held at once if the budget is spent now. */
  join(member: BudgetMember): void {
    this.members.add(member);
    if (this.holding) member.hold();
  }

  leave(member: BudgetMember): void {
    this.members.delete(member);
  }

  /** Counts one message (or, with `messages` 0, bytes alone) in; when that spends the budget, every stream is held. */
  take(bytes: number, messages = 1): void {
    this.bytes += bytes;
    this.messages += messages;
    if (this.bytes > this.peakBytes) this.peakBytes = this.bytes;
    if (this.messages > this.peakMessages) this.peakMessages = this.messages;
    if (!this.holding && (this.bytes >= this.limits.maxBytes || this.messages >= this.limits.maxMessages)) {
      this.holding = true;
      this.holds += 1;
      for (const m of this.members) m.hold();
    }
  }

  /** Counts one answered message out; below the low-water mark every stream is released. */
  give(bytes: number, messages = 1): void {
    this.bytes -= bytes;
    this.messages -= messages;
    if (this.holding && this.bytes <= this.lowBytes && this.messages <= this.lowMessages) {
      this.holding = false;
      for (const m of [...this.members]) m.release();
    }
  }

  /** The share of the budget in use, by the tighter of its two limits: 1 or more holds every stream. */
  get fill(): number {
    return Math.max(this.bytes / this.limits.maxBytes, this.messages / this.limits.maxMessages);
  }

  /** True while the streams are held. */
  get held(): boolean {
    return this.holding;
  }
}
