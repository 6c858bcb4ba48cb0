import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { PG } from './env';

/**
 * Direct SQL on the addon's outbox table, for what the business flows cannot produce on demand: a
 * large backlog (benchmarks, multi-relay tests) or a deliberately broken payload. Rows look exactly
 * like the ones `_emit` writes (same columns, same NOTIFY), so the relay API treats them the same.
 */
export interface RawEvent {
  eventType: string;
  aggregateKey: string;
  payload: string;
  correlationId?: string;
  priority?: number;
}

export async function pgFor(db: string): Promise<Client> {
  const client = new Client({ ...PG, database: db });
  await client.connect();
  return client;
}

/** Inserts the rows in one statement (ids in array order) and NOTIFYs the relays; returns the ids. */
export async function insertEvents(client: Client, rows: readonly RawEvent[]): Promise<number[]> {
  const ids: number[] = [];
  for (let start = 0; start < rows.length; start += 5000) {
    const chunk = rows.slice(start, start + 5000);
    const res = await client.query<{ id: number }>(
      `INSERT INTO logistics_bridge_event
              (uuid, event_type, schema_version, aggregate_model, aggregate_id, aggregate_key, payload,
               correlation_id, company_id, priority, state, attempts, user_id, create_uid, write_uid, create_date, write_date)
       SELECT u, t, 1, split_part(k, ':', 1), split_part(k, ':', 2)::int, k, p, c, 1, pr, 'pending', 0, 1, 1, 1,
              now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
         FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::text[], $5::varchar[], $6::int[]) WITH ORDINALITY AS v(u, t, k, p, c, pr, n)
        ORDER BY n
       RETURNING id`,
      [
        chunk.map(() => randomUUID()),
        chunk.map((r) => r.eventType),
        chunk.map((r) => r.aggregateKey),
        chunk.map((r) => r.payload),
        chunk.map((r) => r.correlationId ?? null),
        chunk.map((r) => r.priority ?? 50),
      ],
    );
    ids.push(...res.rows.map((r) => r.id).sort((a, b) => a - b));
  }
  await client.query('NOTIFY logistics_bridge_outbox');
  return ids;
}

/** A product.changed payload that passes its schema; `seq` lets consumers check the order per product. */
export function productChanged(productId: number, seq: number): string {
  return JSON.stringify({
    product: { id: productId, default_code: `P-${productId}`, barcode: null, name: `Product ${productId} rev ${seq}`, uom: 'Units', active: true, storable: true, tracking: 'none', weight_kg: 1.5, volume_m3: null },
  });
}

export async function stateCounts(client: Client, ids: readonly number[]): Promise<Record<string, number>> {
  const res = await client.query<{ state: string; n: string }>('SELECT state, count(*) AS n FROM logistics_bridge_event WHERE id = ANY($1) GROUP BY state', [ids]);
  return Object.fromEntries(res.rows.map((r) => [r.state, Number(r.n)]));
}
