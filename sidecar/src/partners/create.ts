import type { Registry } from 'prom-client';
import { UpdatePublisher, UPDATES_QUEUE, type ConsumerSource, type UpdatesSource } from '../broker';
import type { Config } from '../config';
import type { Service } from '../lifecycle';
import type { Logger } from '../telemetry';
import { PartnerAmqpDoor } from './amqp-door';
import { PartnerDirectory } from './directory';
import { PartnerDoor } from './door';

/**
 * The partner doors of a configuration: none without PARTNERS_FILE; the HTTP door when it is set; the
 * AMQP door when a partner may use the amqp route. Each has its own update publisher (the HTTP door
 * refuses at once while the broker is down, the AMQP door waits holding the message unacked).
 */
export function createPartnerDoors(opts: { config: Config; source: UpdatesSource & ConsumerSource; registry?: Registry; log: Logger; queue?: string }): Service[] {
  const p = opts.config.partners;
  if (!p) return [];
  const directory = new PartnerDirectory(p.list);
  const queue = opts.queue ?? UPDATES_QUEUE;
  const log = opts.log.child({ module: 'partners' });
  const doors: Service[] = [
    new PartnerDoor({
      listen: p.listen,
      directory,
      publisher: new UpdatePublisher(opts.source, { queue, window: 4096, log, appId: 'logistics-bridge-partners', mode: 'refuse' }),
      maxBodyBytes: p.maxBodyBytes,
      log,
      registry: opts.registry,
    }),
  ];
  if (p.list.some((x) => x.routes.includes('amqp'))) {
    doors.push(new PartnerAmqpDoor({ source: opts.source, directory, publisher: new UpdatePublisher(opts.source, { queue, window: 1024, log, appId: 'logistics-bridge-partners', mode: 'wait' }), log }));
  }
  return doors;
}
