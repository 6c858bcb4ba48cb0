import { ServerInterceptingCall, ServerListenerBuilder, type ServerInterceptingCallInterface, type ServerInterceptor } from '@grpc/grpc-js';
import type { IngestBudget } from './budget';

/**
 * Bounded read-ahead per call, through grpc-js's public server interceptor API. grpc-js reads the next
 * request off HTTP/2 whenever its stream's Readable buffer is below its high-water mark (16 messages
 * in object mode), whether or not the handler paused the stream: with 4 MiB messages that is 64 MiB a
 * stream the gateway never counted. The gate lets a call have at most `readAhead` messages received
 * and not yet taken by its session; further reads wait until the session takes one, so a paused
 * session (pause.ts) stops reading at the HTTP/2 level after `readAhead` messages.
 *
 * The bytes of those messages are counted in the gateway budget from the moment grpc-js hands them
 * over until the session takes them (it then counts them until they are answered), and given back if
 * the call ends first: the budget covers everything the gateway holds of adapter messages.
 */
export class ReadGates {
  private readonly gates = new WeakMap<object, Gate>();

  constructor(
    private readonly budget: IngestBudget,
    private readonly readAhead: number,
  ) {}

  /** The interceptor to pass in the grpc-js Server options. */
  readonly interceptor: ServerInterceptor = (_method, call) => new Gate(call, this.readAhead, this.budget, this.gates);

  /** The session took `message` (the request bytes, see lazyService) off its stream. */
  taken(message: unknown): void {
    if (typeof message === 'object' && message !== null) this.gates.get(message)?.taken(message);
  }
}

class Gate extends ServerInterceptingCall {
  private readonly held = new Map<object, number>();
  private deferred = false;
  private ended = false;

  constructor(
    next: ServerInterceptingCallInterface,
    private readonly readAhead: number,
    private readonly budget: IngestBudget,
    gates: WeakMap<object, Gate>,
  ) {
    super(next, {
      start: (start) =>
        start(
          new ServerListenerBuilder()
            .withOnReceiveMessage((message: unknown, onward: (m: unknown) => void) => {
              if (Buffer.isBuffer(message) && !this.ended) {
                gates.set(message, this);
                this.held.set(message, message.length);
                budget.take(message.length);
              }
              onward(message);
            })
            .withOnCancel(() => this.release())
            .build(),
        ),
      sendStatus: (status, onward) => {
        this.release();
        onward(status);
      },
    });
  }

  override startRead(): void {
    if (this.held.size >= this.readAhead) {
      this.deferred = true;
      return;
    }
    super.startRead();
  }

  taken(message: object): void {
    const bytes = this.held.get(message);
    if (bytes === undefined) return;
    this.held.delete(message);
    this.budget.give(bytes);
    if (this.deferred && this.held.size < this.readAhead && !this.ended) {
      this.deferred = false;
      super.startRead();
    }
  }

  /** The call ended: what its session never took leaves the budget. */
  private release(): void {
    if (this.ended) return;
    this.ended = true;
    for (const bytes of this.held.values()) this.budget.give(bytes);
    this.held.clear();
  }
}
