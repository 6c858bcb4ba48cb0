/**
 * The demo's warehouse and its orders, through odoo-await as an administrator (tools/fixtures): what a
 * person would set up in the UI. `orderOf` (pure) decides what the n-th streamed order is.
 */
import { gs1CheckDigit } from '@logistics-bridge/contract';
import type { OdooFixtures, SaleOrderRef } from '../fixtures';

export interface DemoWarehouse {
  id: number;
  code: string;
  stockLocationId: number;
  receiptTypeId: number;
  products: Array<{ id: number; barcode: string }>;
  customers: number[];
  supplier: number;
  /** Part of every name and barcode of this seeding (several runs side by side in one database). */
  stamp: string;
}

type Many2one = [number, string] | false;

/** The warehouse `code` (created when missing), five products with valid GTIN-13 barcodes and stock there, three customers and a supplier. */
export async function seedWarehouse(fx: OdooFixtures, o: { code: string; stamp: string; stock?: number }): Promise<DemoWarehouse> {
  let [wh] = await fx.searchRead<{ id: number; lot_stock_id: Many2one; in_type_id: Many2one }>('stock.warehouse', [['code', '=', o.code]], ['lot_stock_id', 'in_type_id']);
  if (!wh) {
    await fx.call('stock.warehouse', 'create', [{ name: `Demo warehouse ${o.code}`, code: o.code }]);
    [wh] = await fx.searchRead('stock.warehouse', [['code', '=', o.code]], ['lot_stock_id', 'in_type_id']);
  }
  if (!wh || !wh.lot_stock_id || !wh.in_type_id) throw new Error(`warehouse ${o.code}: could not be created or has no stock location / receipt type`);
  const products: DemoWarehouse['products'] = [];
  for (let i = 1; i <= 5; i++) {
    const body = `4006${o.stamp}${String(i).padStart(2, '0')}`.slice(0, 12).padEnd(12, '0');
    const barcode = `${body}${gs1CheckDigit(body)}`;
    const id = await fx.product({ name: `Demo item ${o.stamp}-${i}`, barcode, defaultCode: `DEMO-${o.stamp}-${i}` });
    await fx.setStock(id, o.stock ?? 500, wh.lot_stock_id[0]);
    products.push({ id, barcode });
  }
  const customers = await Promise.all(['Acme Retail', 'Northwind Stores', 'Globex Outlet'].map((n) => fx.partner(`${n} ${o.stamp}`)));
  const supplier = await fx.partner(`Demo Supplier ${o.stamp}`);
  return { id: wh.id, code: o.code, stockLocationId: wh.lot_stock_id[0], receiptTypeId: wh.in_type_id[0], products, customers, supplier, stamp: o.stamp };
}

export interface OrderPlan {
  kind: 'sale' | 'purchase';
  /** Index into the warehouse's customers (sale orders). */
  customer: number;
  /** Indexes into the warehouse's products, with quantities. */
  lines: Array<{ product: number; quantity: number }>;
}

/** The n-th order of a run (0-based): every fifth a purchase order (a receipt to count), the others sale orders of one to three lines. */
export function orderOf(n: number, products: number): OrderPlan {
  if (products < 1) throw new Error('orderOf: no products');
  if (n % 5 === 4) return { kind: 'purchase', customer: 0, lines: Array.from({ length: Math.min(2, products) }, (_, i) => ({ product: (n + i) % products, quantity: 20 })) };
  const count = 1 + (n % 3);
  const lines = Array.from({ length: Math.min(count, products) }, (_, i) => ({ product: (n + 2 * i) % products, quantity: 1 + ((n + i) % 4) }));
  return { kind: 'sale', customer: n % 3, lines };
}

/** Places the planned order in Odoo (confirmed), for the warehouse's customers or supplier. */
export async function placeOrder(fx: OdooFixtures, wh: DemoWarehouse, plan: OrderPlan): Promise<SaleOrderRef> {
  const lines = plan.lines.map((l) => ({ productId: (wh.products[l.product] as { id: number }).id, quantity: l.quantity }));
  if (plan.kind === 'purchase') return fx.purchaseOrder(wh.supplier, lines, wh.receiptTypeId);
  return fx.saleOrder(wh.customers[plan.customer % wh.customers.length] as number, lines, true, wh.id);
}
