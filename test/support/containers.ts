import { resolve } from 'node:path';
import { GenericContainer, Network, Wait, type StartedNetwork, type StartedTestContainer } from 'testcontainers';
import type { OdooSeries, OdooTarget } from './odoo';

/**
 * The fallback where a Docker engine exists but the local services (or an Odoo source tree) do not:
 * the same services, from the images docker-compose.yml uses. Never used on machines without Docker.
 */

const ROOT = resolve(__dirname, '../..');

export interface ServiceContainers {
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** RabbitMQ and PostgreSQL for the integration tier; `env` is what test/support/env.ts reads. */
export async function startServiceContainers(): Promise<ServiceContainers> {
  const [rabbit, pg] = await Promise.all([
    new GenericContainer('rabbitmq:4-management').withExposedPorts(5672).withWaitStrategy(Wait.forLogMessage(/Server startup complete/)).start(),
    new GenericContainer('postgres:16')
      .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust' })
      .withExposedPorts(5432)
      .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
      .start(),
  ]);
  return {
    env: {
      AMQP_URL: `amqp://guest:guest@${rabbit.getHost()}:${rabbit.getMappedPort(5672)}`,
      PGHOST: pg.getHost(),
      PGPORT: String(pg.getMappedPort(5432)),
      PGUSER: 'postgres',
    },
    async stop() {
      await Promise.all([rabbit.stop(), pg.stop()]);
    },
  };
}

/**
 * Odoo of the given series (the official `odoo:18` or `odoo:19` image) with `odoo_addon/` mounted and installed, and the service user
 * created by deploy/create_service_user.py, as docker-compose.yml's odoo-init does.
 */
export async function startOdooContainers(series: OdooSeries): Promise<OdooTarget> {
  const network: StartedNetwork = await new Network().start();
  const db = 'lb_test';
  const pg: StartedTestContainer = await new GenericContainer('postgres:16')
    .withNetwork(network)
    .withNetworkAliases('postgres')
    .withEnvironment({ POSTGRES_USER: 'odoo', POSTGRES_PASSWORD: 'odoo', POSTGRES_DB: 'postgres' })
    .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
    .start();
  const odoo: StartedTestContainer = await new GenericContainer(`odoo:${series}`)
    .withNetwork(network)
    .withEnvironment({ HOST: 'postgres', USER: 'odoo', PASSWORD: 'odoo' })
    .withBindMounts([
      { source: resolve(ROOT, 'odoo_addon'), target: '/mnt/extra-addons', mode: 'ro' },
      { source: resolve(ROOT, 'deploy'), target: '/mnt/deploy', mode: 'ro' },
    ])
    .withEntrypoint(['/bin/bash', '-c'])
    .withCommand([
      `/entrypoint.sh odoo -d ${db} -i stock,sale_stock,purchase_stock,logistics_bridge --without-demo=all --stop-after-init && ` +
        `exec /entrypoint.sh odoo -d ${db} --db-filter=^${db}$ --max-cron-threads=0`,
    ])
    .withExposedPorts(8069)
    .withWaitStrategy(Wait.forHttp('/web/login', 8069).forStatusCode(200))
    .withStartupTimeout(600_000)
    .start();
  const made = await odoo.exec(['bash', '-c', `/entrypoint.sh odoo shell -d ${db} --no-http < /mnt/deploy/create_service_user.py`]);
  const line = made.output.split('\n').find((l) => l.startsWith('SERVICE_USER '));
  if (!line) throw new Error(`could not create the service user in the odoo container:\n${made.output.slice(-2000)}`);
  const created = JSON.parse(line.slice('SERVICE_USER '.length)) as { login: string; key: string };
  return {
    url: `http://${odoo.getHost()}:${odoo.getMappedPort(8069)}`,
    series,
    db,
    admin: { login: 'admin', secret: 'admin' },
    service: { login: created.login, secret: created.key },
    async stop() {
      await odoo.stop();
      await pg.stop();
      await network.stop();
    },
  };
}
