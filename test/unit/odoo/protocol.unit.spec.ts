import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  json2Params,
  json2Request,
  jsonRpcRequest,
  keyExpiryWarning,
  OdooAccessError,
  OdooAuthError,
  OdooClient,
  OdooError,
  OdooServerError,
  OdooTransportError,
  OdooUserError,
  parseJson2Answer,
  parseJsonRpcAnswer,
  protocolForVersion,
} from '../../../sidecar/src/odoo';

const exception = (name: string, message: string) => JSON.stringify({ name, message, arguments: [message], context: {}, debug: 'Traceback ...' });

describe('Odoo protocols: JSON-2 (19) and JSON-RPC (18)', () => {
  it('chooses JSON-2 from Odoo 19 on and JSON-RPC before', () => {
    assert.equal(protocolForVersion([19, 0, 0, 'final', 0, '']), 'json2');
    assert.equal(protocolForVersion([18, 0, 0, 'final', 0, '']), 'jsonrpc');
    assert.equal(protocolForVersion(['saas~18', 4]), 'jsonrpc');
    assert.throws(() => protocolForVersion(undefined), OdooTransportError);
  });

  it('builds a JSON-2 call: path per model and method, bearer key, database header, named body', () => {
    const req = json2Request('prod', 'k3y', 'logistics.bridge.event', 'relay_claim', { worker_id: 'w1', limit: 5 });
    assert.equal(req.path, '/json/2/logistics.bridge.event/relay_claim');
    assert.deepEqual(req.headers, { 'Content-Type': 'application/json', Authorization: 'bearer k3y', 'X-Odoo-Database': 'prod' });
    assert.deepEqual(JSON.parse(req.body), { worker_id: 'w1', limit: 5 });
  });

  it('names execute_kw arguments for JSON-2: the bridge API, ORM methods, record buttons', () => {
    assert.deepEqual(json2Params('logistics.bridge.event', 'relay_claim', ['w1'], { limit: 10, ack_ids: [1] }), { worker_id: 'w1', limit: 10, ack_ids: [1] });
    assert.deepEqual(json2Params('logistics.bridge.event', 'relay_ack', ['w1', [4, 5]], {}), { worker_id: 'w1', event_ids: [4, 5] });
    assert.deepEqual(json2Params('logistics.bridge.update', 'apply_batch', [[{ k: 1 }]], {}), { updates: [{ k: 1 }] });
    assert.deepEqual(json2Params('res.users', 'read', [[7], ['login']], {}), { ids: [7], fields: ['login'] });
    assert.deepEqual(json2Params('sale.order', 'write', [[3], { note: 'x' }], {}), { ids: [3], vals: { note: 'x' } });
    assert.deepEqual(json2Params('res.partner', 'search_read', [[['id', '>', 1]]], { fields: ['name'] }), { domain: [['id', '>', 1]], fields: ['name'] });
    assert.deepEqual(json2Params('sale.order', 'action_confirm', [[3]], {}), { ids: [3] });
    assert.deepEqual(json2Params('x.y', 'anything', [], { a: 1 }), { a: 1 });
  });

  it('refuses positional arguments it cannot name, and a name given twice', () => {
    assert.throws(() => json2Params('x.y', 'unknown_method', ['a', 'b'], {}), (e: unknown) => e instanceof OdooError && /pass named arguments/.test(e.message));
    assert.throws(() => json2Params('res.users', 'read', ['not ids'], {}), /record ids/);
    assert.throws(() => json2Params('logistics.bridge.event', 'relay_ack', ['w1', [1]], { event_ids: [2] }), /given twice/);
  });

  it('maps JSON-2 answers to the same ladder as JSON-RPC', () => {
    assert.deepEqual(parseJson2Answer(200, '[1,2]'), [1, 2]);
    assert.equal(parseJson2Answer(200, 'false'), false);
    const cases: Array<[number, string, new (...a: never[]) => OdooError, string]> = [
      [401, exception('werkzeug.exceptions.Unauthorized', 'Invalid apikey'), OdooAuthError, 'werkzeug.exceptions.Unauthorized'],
      [403, exception('odoo.exceptions.AccessError', 'You are not allowed to modify Sales Order'), OdooAccessError, 'odoo.exceptions.AccessError'],
      [403, exception('odoo.exceptions.AccessDenied', 'Access Denied'), OdooAuthError, 'odoo.exceptions.AccessDenied'],
      [422, exception('odoo.exceptions.ValidationError', 'bad'), OdooUserError, 'odoo.exceptions.ValidationError'],
      [404, exception('werkzeug.exceptions.NotFound', "the model 'no.such.model' does not exist"), OdooUserError, 'werkzeug.exceptions.NotFound'],
      [422, exception('werkzeug.exceptions.UnprocessableEntity', "missing a required argument: 'updates'"), OdooUserError, 'werkzeug.exceptions.UnprocessableEntity'],
      [500, exception('builtins.KeyError', 'x'), OdooServerError, 'builtins.KeyError'],
    ];
    for (const [status, body, cls, name] of cases) {
      assert.throws(() => parseJson2Answer(status, body), (e: unknown) => e instanceof cls && (e as OdooError).odooClass === name, `${status} ${name}`);
    }
    const ser = (() => {
      try {
        parseJson2Answer(500, exception('psycopg2.errors.SerializationFailure', 'could not serialize access'));
      } catch (e) {
        return e as OdooError;
      }
      throw new Error('no error');
    })();
    assert.equal(ser.retryable, false);
    assert.equal(ser.idempotentRetryable, true);
  });

  it('treats a proxy error page as transport, retryable only for idempotent calls', () => {
    for (const parse of [parseJson2Answer, parseJsonRpcAnswer]) {
      assert.throws(() => parse(502, '<html>Bad Gateway</html>'), (e: unknown) => e instanceof OdooTransportError && !e.retryable && e.idempotentRetryable);
      assert.throws(() => parse(400, '<html>no</html>'), (e: unknown) => e instanceof OdooTransportError && !e.idempotentRetryable);
    }
    assert.throws(() => parseJson2Answer(503, exception('werkzeug.exceptions.ServiceUnavailable', 'busy')), (e: unknown) => e instanceof OdooTransportError && e.idempotentRetryable);
  });

  it('builds and reads JSON-RPC as before', () => {
    const req = jsonRpcRequest('object', 'execute_kw', ['db', 2, 'k', 'res.users', 'read', [[2]], {}], 9);
    assert.equal(req.path, '/jsonrpc');
    assert.deepEqual(JSON.parse(req.body), { jsonrpc: '2.0', method: 'call', params: { service: 'object', method: 'execute_kw', args: ['db', 2, 'k', 'res.users', 'read', [[2]], {}] }, id: 9 });
    assert.equal(parseJsonRpcAnswer(200, '{"jsonrpc":"2.0","id":9,"result":7}'), 7);
    assert.throws(() => parseJsonRpcAnswer(200, JSON.stringify({ error: { message: 'Odoo Server Error', data: { name: 'odoo.exceptions.AccessError', message: 'no' } } })), OdooAccessError);
  });
});

describe('Odoo client over a fake server', () => {
  type Seen = { path: string; headers: http.IncomingHttpHeaders; body: unknown };
  let server: http.Server;
  let url = '';
  let seen: Seen[] = [];
  let answer: (s: Seen) => [number, unknown] = () => [200, null];

  before(async () => {
    server = http.createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        const s = { path: req.url ?? '', headers: req.headers, body: text ? JSON.parse(text) : undefined };
        seen.push(s);
        const [status, body] = answer(s);
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  beforeEach(() => (seen = []));
  after(() => new Promise<void>((r) => server.close(() => r())));

  const version = (major: number) => ({ jsonrpc: '2.0', id: 1, result: { server_version: `${major}.0`, server_version_info: [major, 0, 0, 'final', 0, ''] } });

  it('asks the version once and then speaks JSON-2 to Odoo 19', async () => {
    answer = (s) => (s.path === '/web/webclient/version_info' ? [200, version(19)] : [200, { claimed: [] }]);
    const client = new OdooClient({ url, db: 'prod', login: 'svc', secret: 'key-1' });
    assert.equal(await client.protocol(), 'json2');
    await client.executeKw('logistics.bridge.event', 'relay_claim', ['w1'], { limit: 3 });
    await client.executeKw('logistics.bridge.event', 'relay_stats', []);
    assert.deepEqual(seen.map((s) => s.path), ['/web/webclient/version_info', '/json/2/logistics.bridge.event/relay_claim', '/json/2/logistics.bridge.event/relay_stats']);
    assert.equal(seen[1]?.headers.authorization, 'bearer key-1');
    assert.equal(seen[1]?.headers['x-odoo-database'], 'prod');
    assert.deepEqual(seen[1]?.body, { worker_id: 'w1', limit: 3 });
    client.close();
  });

  it('speaks JSON-RPC to Odoo 18 (login, then execute_kw), and when forced', async () => {
    answer = (s) => {
      if (s.path === '/web/webclient/version_info') return [200, version(18)];
      const { method } = (s.body as { params: { method: string } }).params;
      return [200, { jsonrpc: '2.0', id: 1, result: method === 'authenticate' ? 6 : 'done' }];
    };
    const auto = new OdooClient({ url, db: 'prod', login: 'svc', secret: 'key-1' });
    assert.equal(await auto.executeKw('res.users', 'read', [[6], ['login']]), 'done');
    assert.deepEqual(seen.map((s) => s.path), ['/web/webclient/version_info', '/jsonrpc', '/jsonrpc']);
    const forced = new OdooClient({ url, db: 'prod', login: 'svc', secret: 'key-1', protocol: 'jsonrpc' });
    seen = [];
    await forced.executeKw('res.users', 'read', [[6], ['login']]);
    assert.ok(!seen.some((s) => s.path === '/web/webclient/version_info'), 'a forced protocol asks no version');
    auto.close();
    forced.close();
  });

  it('refuses a password over JSON-2 with the fix', async () => {
    const client = new OdooClient({ url, db: 'prod', login: 'svc', secret: 'pw', secretKind: 'password', protocol: 'json2' });
    await assert.rejects(client.executeKw('res.users', 'read', [[6]]), (e: unknown) => e instanceof OdooAuthError && /ODOO_API_KEY/.test(e.message));
    assert.equal(seen.length, 0);
    client.close();
  });

  it('reads a rotated key again after a refusal and repeats the call once with it', async () => {
    answer = (s) => (s.headers.authorization === 'bearer new-key' ? [200, 42] : [401, { name: 'werkzeug.exceptions.Unauthorized', message: 'Invalid apikey' }]);
    let file = 'new-key';
    const client = new OdooClient({ url, db: 'prod', login: 'svc', secret: 'old-key', protocol: 'json2', reloadSecret: () => file });
    assert.equal(await client.executeKw('logistics.bridge.event', 'relay_stats', []), 42);
    assert.deepEqual(seen.map((s) => s.headers.authorization), ['bearer old-key', 'bearer new-key']);
    file = 'new-key'; // unchanged file: a refusal is final
    answer = () => [401, { name: 'werkzeug.exceptions.Unauthorized', message: 'Invalid apikey' }];
    seen = [];
    await assert.rejects(client.executeKw('logistics.bridge.event', 'relay_stats', []), OdooAuthError);
    assert.equal(seen.length, 1);
    client.close();
  });

  it('retries an idempotent JSON-2 call after a 503 and not a non-idempotent one', async () => {
    let calls = 0;
    answer = () => (++calls === 1 ? [503, { name: 'werkzeug.exceptions.ServiceUnavailable', message: 'busy' }] : [200, 'ok']);
    const client = new OdooClient({ url, db: 'prod', login: 'svc', secret: 'k', protocol: 'json2' });
    assert.equal(await client.executeKw('logistics.bridge.event', 'relay_stats', [], {}, { idempotent: true }), 'ok');
    calls = 0;
    await assert.rejects(client.executeKw('logistics.bridge.event', 'relay_nack', ['w', []]), OdooTransportError);
    client.close();
  });

  it('reads its key expiry from the addon', async () => {
    answer = () => [200, { found: true, expires_at: '2027-03-01 10:00:00' }];
    const client = new OdooClient({ url, db: 'prod', login: 'svc', secret: 'abcdef0123456789', protocol: 'json2' });
    const status = await client.keyStatus();
    assert.deepEqual(seen[0]?.body, { key_index: 'abcdef01' });
    assert.equal(status.expires_at?.toISOString(), '2027-03-01T10:00:00.000Z');
    client.close();
  });
});

describe('API key expiry warning', () => {
  const now = new Date('2027-01-01T00:00:00Z');
  const at = (iso: string) => ({ found: true, expires_at: new Date(iso) });
  it('warns from the configured number of days ahead, not before', () => {
    assert.equal(keyExpiryWarning(at('2027-01-20T00:00:00Z'), now, 14), undefined);
    assert.match(keyExpiryWarning(at('2027-01-10T00:00:00Z'), now, 14) ?? '', /expires at 2027-01-10T00:00:00Z \(in 9 days\): create a second key/);
    assert.match(keyExpiryWarning(at('2027-01-01T06:00:00Z'), now, 14) ?? '', /in 1 day\)/);
    assert.match(keyExpiryWarning(at('2026-12-31T00:00:00Z'), now, 14) ?? '', /expired at/);
  });
  it('says nothing for a key without expiry or one Odoo does not know', () => {
    assert.equal(keyExpiryWarning({ found: true, expires_at: null }, now, 14), undefined);
    assert.equal(keyExpiryWarning({ found: false, expires_at: null }, now, 14), undefined);
  });
});
