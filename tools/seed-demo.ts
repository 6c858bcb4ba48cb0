import { parseArgs } from 'node:util';
import { OdooFixtures } from './fixtures';
import { orderOf, placeOrder, seedWarehouse } from './demo/seed';

/**
 * Demo data for a new bridge: products with valid GTIN-13 barcodes, stock, customers, a purchase order
 * and confirmed sale orders, so events flow and the simulators have pickings to work on (the same
 * seeding as `npm run demo`, without streaming).
 *   npm run seed -- --url http://localhost:8069 --db odoo --login admin --password admin --orders 20 [--warehouse WH]
 */
const USAGE = 'usage: npm run seed -- --url <odoo url> --db <database> [--login admin] [--password admin] [--orders 10] [--warehouse WH]';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      db: { type: 'string' },
      login: { type: 'string', default: 'admin' },
      password: { type: 'string', default: 'admin' },
      orders: { type: 'string', default: '10' },
      warehouse: { type: 'string', default: 'WH' },
    },
  });
  if (!values.url || !values.db) throw new Error(USAGE);
  const orders = Number(values.orders);
  if (!Number.isInteger(orders) || orders < 0) throw new Error(`--orders: expected a whole number, got ${values.orders}`);
  const fx = await OdooFixtures.connect({ url: values.url, db: values.db, login: values.login ?? 'admin', password: values.password ?? 'admin' });
  const wh = await seedWarehouse(fx, { code: values.warehouse ?? 'WH', stamp: Date.now().toString().slice(-6) });
  const po = await placeOrder(fx, wh, { kind: 'purchase', customer: 0, lines: wh.products.map((_, product) => ({ product, quantity: 100 })) });
  process.stdout.write(`purchase order ${po.name}: receipts ${po.pickingIds.join(', ')}\n`);
  for (let n = 0; n < orders; n++) {
    const so = await placeOrder(fx, wh, { ...orderOf(n, wh.products.length), kind: 'sale' });
    process.stdout.write(`sale order ${so.name}: deliveries ${so.pickingIds.join(', ')}\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`seed-demo: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
