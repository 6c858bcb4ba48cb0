import assert from 'node:assert/strict';
import { formatStatus } from '../../../sidecar/src/cli/status';
import type { OutboxStats } from '../../../sidecar/src/outbox';

const base: OutboxStats = { pending: 0, claimed: 0, published: 10, dead: 0, oldest_pending_age_s: null, oldest_pending_created_at: null, oldest_claim_age_s: null, relays: [] };

describe('cli status: pending 0 never hides work in flight', () => {
  it('shows claimed events per relay with the age of the oldest claim, and says the lag is not all', () => {
    const text = formatStatus({
      ...base,
      claimed: 300,
      oldest_claim_age_s: 12.34,
      relays: [
        { worker_id: 'wh1-1', host: 'wh1', pid: 1, alive: true, stop_reason: null, heartbeat_age_s: 1.2, claimed: 100 },
        { worker_id: 'wh1-9', host: 'wh1', pid: 9, alive: false, stop_reason: 'dead', heartbeat_age_s: 30, claimed: 0 },
        { worker_id: 'old-tool', host: null, pid: null, alive: null, stop_reason: null, heartbeat_age_s: null, claimed: 200 },
      ],
    });
    assert.match(text, /^pending {4}0$/m);
    assert.match(text, /^claimed {4}300 \(oldest claim made 12\.3 s ago\)$/m);
    assert.match(text, /relay wh1-1 \(wh1 pid 1\): 100 claimed, alive, heartbeat 1\.2 s ago/);
    assert.match(text, /relay old-tool: 200 claimed, not registered \(its claims are freed by their lease\)/);
    assert.doesNotMatch(text, /wh1-9/, 'a stopped relay holding nothing is not listed');
    assert.match(text, /^lag {8}none pending; 300 claimed, not published yet$/m);
  });
  it('stays as short as before when nothing is in flight', () => {
    assert.equal(formatStatus(base), ['pending    0', 'claimed    0', 'published  10', 'dead       0', 'lag        none pending'].join('\n'));
  });
});
