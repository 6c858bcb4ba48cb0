import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { ConfirmChannel } from 'amqplib';
import { clientFor, envelope, hello, parcelSortedUpdate, readQueue, startGateway, TestStream, tokenOf, type GatewayFixture } from '../support/gateway';

/**
 * The gateway's edges that only show under special set-ups: TLS and mutual TLS with real certificate
 * files, the message size limit, and a broker that confirms slowly (adapters must be made to wait
 * instead of the gateway buffering).
 */

/** A throw-away CA, a server certificate for localhost / 127.0.0.1 and a client certificate, made with the openssl CLI. */
function makeCerts(dir: string): { ca: string; serverCert: string; serverKey: string; clientCert: string; clientKey: string } {
  const f = (n: string) => join(dir, n);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl('req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '1', '-subj', '/CN=bridge-test-ca');
  writeFileSync(f('server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  ssl('req', ...ec, '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=localhost');
  ssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.pem'), '-days', '1', '-extfile', f('server.ext'));
  writeFileSync(f('client.ext'), 'extendedKeyUsage=clientAuth\n');
  ssl('req', ...ec, '-keyout', f('client.key'), '-out', f('client.csr'), '-subj', '/CN=sorter-a');
  ssl('x509', '-req', '-in', f('client.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('client.pem'), '-days', '1', '-extfile', f('client.ext'));
  return { ca: f('ca.pem'), serverCert: f('server.pem'), serverKey: f('server.key'), clientCert: f('client.pem'), clientKey: f('client.key') };
}

async function until(pred: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('device gateway limits', function () {
  this.timeout(60_000);
  let fx: GatewayFixture | undefined;
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gw-tls-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(async () => {
    await fx?.stop();
    fx = undefined;
  });

  describe('TLS', () => {
    it('serves adapters over TLS and refuses plaintext clients', async () => {
      const c = makeCerts(dir);
      fx = await startGateway({ tls: { certFile: c.serverCert, keyFile: c.serverKey } });
      const tls = grpc.credentials.createSsl(readFileSync(c.ca));
      const s = new TestStream(clientFor('sorter', fx.port, tls, { 'grpc.ssl_target_name_override': 'localhost' }), tokenOf('sorter-a'));
      s.send(hello('sorter-a', 'sorter', 'sorter-1'));
      s.send(parcelSortedUpdate('sorter-a', 'sorter-1', 1));
      await s.until(() => s.answers().length === 1);
      assert.equal(s.answers()[0]?.kind, 'ack');
      s.close();

      const plain = new TestStream(clientFor('sorter', fx.port), tokenOf('sorter-a'));
      plain.send(hello('sorter-a', 'sorter', 'sorter-2'));
      const st = await plain.ended();
      assert.equal(st.code, grpc.status.UNAVAILABLE);
      assert.equal(plain.helloAck(), undefined, 'a plaintext client never gets a HelloAck');
      assert.equal((await readQueue(fx.queue, 1)).length, 1);
    });

    it('under mutual TLS accepts a client with a certificate of the configured CA and refuses one without', async () => {
      const c = makeCerts(dir);
      fx = await startGateway({ tls: { certFile: c.serverCert, keyFile: c.serverKey, clientCaFile: c.ca } });
      const opts = { 'grpc.ssl_target_name_override': 'localhost' };
      const withCert = grpc.credentials.createSsl(readFileSync(c.ca), readFileSync(c.clientKey), readFileSync(c.clientCert));
      const s = new TestStream(clientFor('sorter', fx.port, withCert, opts), tokenOf('sorter-a'));
      s.send(hello('sorter-a', 'sorter', 'sorter-1'));
      s.send(parcelSortedUpdate('sorter-a', 'sorter-1', 1));
      await s.until(() => s.answers().length === 1);
      assert.equal(s.answers()[0]?.kind, 'ack');
      s.close();

      const noCert = new TestStream(clientFor('sorter', fx.port, grpc.credentials.createSsl(readFileSync(c.ca)), opts), tokenOf('sorter-a'));
      noCert.send(hello('sorter-a', 'sorter', 'sorter-2'));
      noCert.send(parcelSortedUpdate('sorter-a', 'sorter-1', 2));
      const st = await noCert.ended();
      assert.equal(st.code, grpc.status.UNAVAILABLE, `expected the handshake to fail, got ${st.code} ${st.details}`);
      assert.equal(noCert.helloAck(), undefined);
      const q = await readQueue(fx.queue, 1);
      assert.deepEqual(
        q.map((m) => m.properties.headers?.sequence),
        [1],
        'only the update of the client with a certificate is durable',
      );
    });
  });

  it('ends the call of a message above max_message_bytes with a clear RESOURCE_EXHAUSTED; what came before stays durable', async () => {
    fx = await startGateway({ maxMessageBytes: 2048 });
    const s = new TestStream(clientFor('sorter', fx.port), tokenOf('sorter-a'));
    s.send(hello('sorter-a', 'sorter', 'sorter-1'));
    await s.until(() => s.helloAck() !== undefined);
    assert.equal(Number(s.helloAck()?.max_message_bytes), 2048, 'the limit is announced in the HelloAck');
    s.send(parcelSortedUpdate('sorter-a', 'sorter-1', 1));
    await s.until(() => s.answers().length === 1);
    s.send({ update: { envelope: envelope('sorter-a', 'sorter-1', 2), task_failed: { reason: 'x'.repeat(5000), code: 'too-big' } } });
    const st = await s.ended();
    assert.equal(st.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.match(st.details, /larger than max \(\d+ vs\.? 2048\)/, `details should give the size and the limit: ${st.details}`);

    const again = new TestStream(clientFor('sorter', fx.port), tokenOf('sorter-a'));
    again.send(hello('sorter-a', 'sorter', 'sorter-1'));
    await again.until(() => again.helloAck() !== undefined);
    assert.equal(Number(again.helloAck()?.resume_after_sequence), 1, 'the adapter resumes after the last durable message');
    again.close();
    assert.equal((await readQueue(fx.queue, 1)).length, 1);
  });

  it('a broker that does not confirm makes the adapters wait: every stream is paused and the gateway holds no more than its budget', async () => {
    const held: Array<() => void> = [];
    let holding = true;
    const budget = 40;
    // The seam: the real confirm channel, whose confirm callbacks are held until the test lets them through.
    fx = await startGateway({ maxBufferedMessages: budget, maxInFlightPerStream: 1000 }, (source) => ({
      createChannel: () => source.createChannel(),
      createConfirmChannel: async () => {
        const ch = await source.createConfirmChannel();
        const publish = ch.publish.bind(ch) as (...a: unknown[]) => boolean;
        (ch as unknown as { publish: (...a: unknown[]) => boolean }).publish = (ex, rk, content, options, cb) =>
          publish(ex, rk, content, options, (err: unknown, ok: unknown) => {
            const confirm = () => (cb as (e: unknown, o: unknown) => void)(err, ok);
            if (holding) held.push(confirm);
            else confirm();
          });
        return ch as ConfirmChannel;
      },
    }));
    const gw = fx.gateway;
    const streams = ['s1', 's2', 's3', 's4'].map((id) => {
      const s = new TestStream(clientFor('sorter', fx?.port ?? 0), tokenOf('sorter-a'));
      s.send(hello('sorter-a', 'sorter', id));
      return { id, s };
    });
    const perStream = 150;
    let seq = 0;
    for (const { id, s } of streams) {
      for (let i = 1; i <= perStream; i++) s.send({ update: { ...(parcelSortedUpdate('sorter-a', 'sorter-1', i) as { update: object }).update, envelope: envelope('sorter-a', 'sorter-1', i, `${id}:${i}`) } });
      seq += perStream;
    }
    const paused = (s: TestStream) => s.received.some((m) => m.kind === 'flow_control' && (m.flow_control as { action: string }).action === 'ACTION_PAUSE');
    await until(() => gw.budget.held && streams.every(({ s }) => paused(s)), 'the budget to be spent and every adapter told to pause');
    // What grpc-js already handed over counts too: at most the one message each stream's read gate lets
    // through beyond the budget (before, up to 2 a stream sat in grpc-js uncounted).
    const ceiling = budget + streams.length;
    assert.ok(gw.budget.messages <= ceiling, `gateway holds ${gw.budget.messages} messages, budget ${budget} + ${streams.length} read ahead`);
    assert.ok(streams.every(({ s }) => s.answers().length === 0), 'nothing is acked before the broker confirms');
    assert.ok(held.length <= budget, `${held.length} publishes in flight`);

    holding = false;
    for (const c of held.splice(0)) c();
    await until(() => streams.every(({ s }) => s.answers().length === perStream), 'every message to be answered after the broker caught up');
    for (const { s } of streams) {
      assert.ok(s.answers().every((a) => a.kind === 'ack'));
      assert.ok(s.received.some((m) => m.kind === 'flow_control' && (m.flow_control as { action: string }).action === 'ACTION_RESUME'), 'adapters are told to resume');
      s.close();
    }
    assert.ok(gw.budget.peakMessages <= ceiling, `peak ${gw.budget.peakMessages} messages held, budget ${budget} + ${streams.length} read ahead`);
    assert.equal(gw.budget.messages, 0);
    const q = await readQueue(fx.queue, seq, 20_000);
    assert.equal(new Set(q.map((m) => m.properties.messageId)).size, seq, 'every update is durable exactly once');
  });
});
