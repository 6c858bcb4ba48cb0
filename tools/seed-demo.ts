import { parseArgs } from 'node:util';
import { gs1CheckDigit } from '@logistics-bridge/contract';
import { OdooFixtures } from './fixtures';

/**
 * Demo data for a new bridge: products with valid GTIN-13 barcodes, stock, customers, a purchase order
 * and confirmed sale orders, so events flow and the simulators have pickings to work on.
 *   npm run seed -- --url http://localhost:8069 --db odoo --login admin --password admin --orders 20
 */
const USAGE = 'usage: npm run seed -- --url <odoo url> --db <database> [--login admin] [--password admin] [--orders 10]';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      db: { type: 'string' },
      login: { type: 'string', default: 'admin' },
      password: { type: 'string', default: 'admin' },
      orders: { type: 'string', default: '10' },
    },
  });
  if (!values.url || !values.db) throw new Error(USAGE);
  const orders = Number(values.orders);
  if (!Number.isInteger(orders) || orders < 0) throw new Error(`--orders: expected a whole number, got ${values.orders}`);
  const fx = await OdooFixtures.connect({ url: values.url, db: values.db, login: values.login ?? 'admin', password: values.password ?? 'admin' });
  const stamp = Date.now().toString().slice(-6);
  const products: number[] = [];
  for (let i = 1; i <= 5; i++) {
    const body = `4006${stamp}${String(i).padStart(2, "0")}`;
    const id = await fx.product({ name: `Demo item ${i}`, barcode: `${body}${gs1CheckDigit(body)}`, defaultCode: `DEMO-${stamp}-${i}` });
    await fx.setStock(id, 500);
    products.push(id);
  }
  const customers = await Promise.all(['Acme Retail', 'Northwind Stores', 'Globex Outlet'].map((n) => fx.partner(`${n} ${stamp}`)));
  const supplier = await fx.partner(`Demo Supplier ${stamp}`);
  const po = await fx.purchaseOrder(supplier, products.map((productId) => ({ productId, quantity: 100 })));
  process.stdout.write(`purchase order ${po.name}: receipts ${po.pickingIds.join(', ')}\n`);
  for (let n = 0; n < orders; n++) {
    const lines = products.filter((_, i) => (n + i) % 2 === 0).map((productId, i) => ({ productId, quantity: 1 + ((n + i) % 4) }));
    const so = await fx.saleOrder(customers[n % customers.length] ?? customers[0] ?? 0, lines);
    process.stdout.write(`sale order ${so.name}: deliveries ${so.pickingIds.join(', ')}\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`seed-demo: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
