import { strict as assert } from 'node:assert';
import { status } from '@grpc/grpc-js';
import { parseGatewayTokens } from '../../../sidecar/src/config';
import { Authenticator, GatewayError, TokenBucket, toGrpcStatus } from '../../../sidecar/src/devices/gateway';

describe('gateway auth', () => {
  const auth = new Authenticator(
    parseGatewayTokens(JSON.stringify({ 'sorter-a': { token: 'sorter-a-token-0123456789', devices: ['sorter-1', 'scanner-*'], family: 'sorter' } })),
  );

  it('finds the adapter of a bearer token and applies its device allowlist (exact and prefix*)', () => {
    const p = auth.authenticate(['Bearer sorter-a-token-0123456789']);
    assert.equal(p.adapterId, 'sorter-a');
    assert.equal(p.ratePerSecond, 2000);
    assert.equal(p.allows('sorter-1'), true);
    assert.equal(p.allows('scanner-17'), true);
    assert.equal(p.allows('sorter-2'), false);
  });

  it('refuses missing, malformed and unknown tokens with UNAUTHENTICATED, never echoing the token', () => {
    for (const md of [[], ['sorter-a-token-0123456789'], ['Bearer nope-nope-nope-nope'], ['Bearer a', 'Bearer b']]) {
      assert.throws(
        () => auth.authenticate(md),
        (err: unknown) => err instanceof GatewayError && err.code === status.UNAUTHENTICATED && !err.message.includes('nope'),
      );
    }
  });

  it('refuses bad GATEWAY_TOKENS with the adapter and field, not the value', () => {
    assert.throws(() => parseGatewayTokens('{"x": {"token": "short", "devices": ["*"]}}'), (err: Error) => err.message.startsWith('x.token:') && !err.message.includes('short'));
    assert.throws(() => parseGatewayTokens('{'), /not valid JSON/);
    assert.throws(() => parseGatewayTokens('{"x": {"token": "0123456789abcdef", "devices": []}}'), /x.devices/);
  });

  it('token bucket: bursts up to its size, then refills at its rate', () => {
    const b = new TokenBucket(10, 10, 0);
    for (let i = 0; i < 10; i++) assert.equal(b.tryTake(1, 0), true);
    assert.equal(b.tryTake(1, 0), false);
    assert.equal(b.tryTake(1, 50), false);
    assert.equal(b.tryTake(1, 100), true);
    assert.throws(() => b.take(100), (err: unknown) => err instanceof GatewayError && err.code === status.RESOURCE_EXHAUSTED && err.retryable);
    assert.equal(b.tryTake(10, 10_000), true, 'never more than the burst');
    assert.equal(b.tryTake(1, 10_000), false);
  });

  it('maps errors to a gRPC status with the field path in details', () => {
    assert.deepEqual(toGrpcStatus(new GatewayError(status.INVALID_ARGUMENT, 'bad', 'hello.family')), { code: status.INVALID_ARGUMENT, details: 'hello.family: bad' });
  });
});
