import net from 'node:net';

/**
 * A TCP proxy in front of a real service, for outages a test decides: `cut()` drops every connection
 * through it and refuses new ones (what the sidecar sees when the broker host goes away), `stall()` holds
 * every byte in both directions while the connections stay open (a link that stops carrying traffic),
 * `reset()` sends a RST on every connection and lets new ones through (a middlebox that forgot them),
 * `restore()` heals a cut or a stall. Bound to 127.0.0.1, on a free port unless `start` is given one.
 */
export class TcpProxy {
  private readonly server: net.Server;
  private readonly pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  private up = true;
  private stalled = false;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {
    this.server = net.createServer((client) => {
      if (!this.up) return void client.destroy();
      const upstream = net.connect(this.targetPort, this.targetHost);
      const pair = { client, upstream };
      this.pairs.add(pair);
      for (const s of [client, upstream]) s.on('error', () => undefined);
      client.on('close', () => {
        upstream.destroy();
        this.pairs.delete(pair);
      });
      upstream.on('close', () => client.destroy());
      if (this.stalled) {
        client.pause();
        upstream.pause();
      } else this.join(pair);
    });
  }

  private join({ client, upstream }: { client: net.Socket; upstream: net.Socket }): void {
    client.pipe(upstream);
    upstream.pipe(client);
  }

  async start(port = 0): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    return (this.server.address() as net.AddressInfo).port;
  }

  /** Closes every connection and refuses new ones until `restore()`. */
  cut(): void {
    this.up = false;
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
  }

  /** Holds every byte both ways (connections stay open, new ones are accepted and held too) until `restore()`. */
  stall(): void {
    this.stalled = true;
    for (const { client, upstream } of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
  }

  /** A TCP RST on each connection through the proxy, both sides; new connections pass. */
  reset(): void {
    for (const { client, upstream } of this.pairs) {
      for (const s of [client, upstream]) if (!s.destroyed) s.resetAndDestroy();
    }
  }

  restore(): void {
    this.up = true;
    if (!this.stalled) return;
    this.stalled = false;
    for (const pair of this.pairs) this.join(pair);
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
