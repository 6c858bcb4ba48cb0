import { collectDefaultMetrics, Registry } from 'prom-client';

/** One Prometheus registry per process, served on HTTP_LISTEN /metrics; modules register their own series. */
export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'logistics_bridge_' });
  return registry;
}
