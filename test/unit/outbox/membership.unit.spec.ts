import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { Membership, provedDead, type RelayIdentity, type RelayPeer, type RelayRegistry } from '../../../sidecar/src/outbox';
import { createLogger } from '../../../sidecar/src/telemetry';

const silent = createLogger('error', new Writable({ write: (_c, _e, cb) => cb() }));
const self: RelayIdentity = { workerId: 'w1', instance: 'new', host: 'h1', pid: 1, incarnation: '1@2000' };
const peer = (over: Partial<RelayPeer>): RelayPeer => ({ worker_id: 'w1', instance: 'old', host: 'h1', pid: 1, incarnation: '1@1000', heartbeat_age_s: 1, ...over });

describe('relay membership: which predecessors a restarted relay may take over at once', () => {
  it('proves dead an earlier process with our pid on our host (a restarted container), or one whose pid is gone', () => {
    const alive = (pid: number) => pid === 7;
    const dead = provedDead([peer({}), peer({ worker_id: 'w2', instance: 'p9', pid: 9 }), peer({ worker_id: 'w3', instance: 'p7', pid: 7 })], self, alive);
    assert.deepEqual(dead.map((p) => p.instance), ['old', 'p9']);
  });
  it('never proves dead another relay of this very process, nor anything registered from another host', () => {
    const sameProcess = peer({ worker_id: 'w2', instance: 'sibling', incarnation: self.incarnation });
    const elsewhere = peer({ worker_id: 'w3', instance: 'far', host: 'h2', pid: 9 });
    assert.deepEqual(provedDead([sameProcess, elsewhere, peer({ instance: 'new' })], self, () => false), []);
  });
});

/** A registry holding one worker id, refusing while `holder` is set. */
class FakeRegistry implements RelayRegistry {
  holder: RelayPeer | null = null;
  registered: string[][] = [];
  beats = 0;
  async register(_id: RelayIdentity, _timeout: number, replaces: string[]) {
    this.registered.push(replaces);
    if (this.holder && replaces.includes(this.holder.instance ?? '')) this.holder = null;
    return { registered: this.holder === null, released: replaces.length ? 3 : 0, holder: this.holder, peers: [] };
  }
  async heartbeat() {
    this.beats++;
    return { registered: true, released: 0 };
  }
  async unregister() {
    return { released: 0 };
  }
}

describe('relay membership: claiming only while the worker id is ours', () => {
  it('takes over at once from a predecessor proved dead, in a second register call naming it', async () => {
    const registry = new FakeRegistry();
    registry.holder = peer({ pid: 42 });
    const m = new Membership(registry, self, { heartbeatMs: 10, timeoutSeconds: 1, log: silent, pidAlive: () => false });
    const ac = new AbortController();
    const running = m.run(ac.signal);
    await m.admitted(ac.signal);
    assert.deepEqual(registry.registered, [[], ['old']]);
    assert.equal(m.problem(), undefined);
    ac.abort();
    await running;
  });
  it('waits, saying who holds the worker id, while a live process has it; claims once it is free', async () => {
    const registry = new FakeRegistry();
    registry.holder = peer({ host: 'h2', pid: 42 });
    const m = new Membership(registry, self, { heartbeatMs: 5, timeoutSeconds: 1, log: silent, pidAlive: () => true });
    const ac = new AbortController();
    const running = m.run(ac.signal);
    let admitted = false;
    const waiting = m.admitted(ac.signal).then(() => (admitted = true));
    while (registry.registered.length < 3) await new Promise((r) => setTimeout(r, 5));
    assert.equal(admitted, false);
    assert.match(m.problem() ?? '', /RELAY_WORKER_ID "w1" is held by a live relay \(host h2 pid 42/);
    registry.holder = null;
    await waiting;
    assert.equal(m.problem(), undefined);
    ac.abort();
    await running;
  });
});
