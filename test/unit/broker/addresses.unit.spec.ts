import assert from 'node:assert/strict';
import { BrokerAddresses, describeAddress, parseBrokerAddress, parseBrokerAddresses } from '../../../sidecar/src/broker/addresses';

describe('broker addresses: AMQP_URL with one URL or the nodes of a cluster', () => {
  it('reads a URL as amqplib reads a URL string: decoded credentials, escaped vhost, default port, tuning from the query', () => {
    assert.deepEqual(parseBrokerAddress('amqp://bri%20dge%40x:p%40ss%3Aw@rabbit-1/%2Fwms?heartbeat=30&frameMax=8192'), {
      protocol: 'amqp',
      hostname: 'rabbit-1',
      port: 5672,
      username: 'bri dge@x',
      password: 'p@ss:w',
      vhost: '%2Fwms',
      heartbeat: 30,
      frameMax: 8192,
      channelMax: undefined,
      maxFrameSize: undefined,
      locale: undefined,
    });
    const tls = parseBrokerAddress('amqps://[::1]');
    assert.deepEqual([tls.protocol, tls.hostname, tls.port, tls.username, tls.password, tls.vhost], ['amqps', '::1', 5671, 'guest', 'guest', '']);
  });

  it('splits a list on commas and never puts a password into the description used in logs', () => {
    const all = parseBrokerAddresses('amqp://u:secret@n1:5681/v, amqp://u:secret@n2:5682/v,amqp://u:secret@n3:5683/v');
    assert.deepEqual(all.map(describeAddress), ['amqp://n1:5681/v', 'amqp://n2:5682/v', 'amqp://n3:5683/v']);
  });

  it("hands amqplib one target whose fields follow the cursor, which moves to the next node and wraps around", () => {
    const addresses = new BrokerAddresses(parseBrokerAddresses('amqp://a:1@n1:1,amqp://b:2@n2:2'));
    const target = addresses.target();
    assert.deepEqual([target.hostname, target.port, target.username], ['n1', 1, 'a']);
    addresses.advance();
    assert.deepEqual([target.hostname, target.port, target.username, target.password], ['n2', 2, 'b', '2']);
    addresses.advance();
    assert.equal(target.hostname, 'n1');
    assert.ok(Object.keys(target).includes('hostname'), 'amqplib copies enumerable fields');
  });

  it('refuses an empty list', () => {
    assert.throws(() => new BrokerAddresses(parseBrokerAddresses(' , ')), /names no broker/);
  });
});
