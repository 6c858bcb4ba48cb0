/**
 * The broker addresses of AMQP_URL: one URL, or the nodes of a cluster as several URLs separated by
 * commas. amqplib's own recovery reconnects to the one address it was given; the bridge hands it a
 * target in amqplib's documented object form (`connect({protocol, hostname, port, username, password,
 * vhost, ...})`) whose fields read the current address at each connection attempt, and moves on to the
 * next node whenever an attempt fails or an open connection is lost. Pure apart from that cursor.
 */
export interface BrokerAddress {
  protocol: 'amqp' | 'amqps';
  hostname: string;
  port: number;
  /** Decoded, as amqplib decodes them from a URL string. */
  username: string;
  password: string;
  /** Still escaped: amqplib unescapes the vhost of both forms. */
  vhost: string;
  /** The tuning parameters of the URL's query string, as amqplib reads them. */
  heartbeat?: number;
  frameMax?: number;
  channelMax?: number;
  maxFrameSize?: number;
  locale?: string;
}

/** One URL as amqplib would read it (lib/connect.js: WHATWG URL, `unescape`d credentials, default ports). */
export function parseBrokerAddress(url: string): BrokerAddress {
  const u = new URL(url);
  const protocol = u.protocol === 'amqps:' ? 'amqps' : 'amqp';
  const query = (name: string) => u.searchParams.get(name) ?? undefined;
  const int = (name: string) => {
    const v = query(name);
    return v === undefined ? undefined : Number.parseInt(v, 10);
  };
  const noCredentials = u.username === '' && u.password === '';
  return {
    protocol,
    hostname: u.hostname.replace(/^\[|\]$/g, ''),
    port: Number.parseInt(u.port, 10) || (protocol === 'amqp' ? 5672 : 5671),
    username: noCredentials ? 'guest' : unescape(u.username),
    password: noCredentials ? 'guest' : unescape(u.password),
    vhost: u.pathname.slice(1),
    heartbeat: int('heartbeat'),
    frameMax: int('frameMax'),
    channelMax: int('channelMax'),
    maxFrameSize: int('maxFrameSize'),
    locale: query('locale'),
  };
}

export function parseBrokerAddresses(value: string): BrokerAddress[] {
  return value
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean)
    .map(parseBrokerAddress);
}

/** `host:port` of an address, for log lines (never the credentials). */
export const describeAddress = (a: BrokerAddress): string => `${a.protocol}://${a.hostname}:${a.port}/${a.vhost}`;

export class BrokerAddresses {
  private index = 0;

  constructor(readonly all: readonly BrokerAddress[]) {
    if (!all.length) throw new Error('AMQP_URL names no broker');
  }

  get current(): BrokerAddress {
    return this.all[this.index % this.all.length]!;
  }

  /** The next node, after a failed attempt or a lost connection (no effect with one address). */
  advance(): void {
    this.index = (this.index + 1) % this.all.length;
  }

  /** What amqplib's `connect` reads at every attempt: always the current address. */
  target(): BrokerAddress {
    const cursor = () => this.current;
    const field = <K extends keyof BrokerAddress>(k: K) => ({ enumerable: true, get: () => cursor()[k] });
    return Object.defineProperties({} as BrokerAddress, {
      protocol: field('protocol'),
      hostname: field('hostname'),
      port: field('port'),
      username: field('username'),
      password: field('password'),
      vhost: field('vhost'),
      heartbeat: field('heartbeat'),
      frameMax: field('frameMax'),
      channelMax: field('channelMax'),
      maxFrameSize: field('maxFrameSize'),
      locale: field('locale'),
    });
  }
}
