#!/bin/sh
# tools/screenshots.sh [DIR]: the README's screenshots of Odoo (docs/screenshots/ by default), taken in
# headless Chromium by tools/odoo-shot.mjs after (or during) `npm run demo` against that Odoo:
#   the transfers with their automation status, a picking's form with its status and timeline button,
#   the devices the simulators announced, the outbox, the inbox (the unknown barcodes rejected), the dashboard.
# Environment: ODOO_URL, ODOO_DB, ODOO_ADMIN_LOGIN (admin), ODOO_ADMIN_PASSWORD (admin); Debian's
# `chromium` package; Node 20+ (--experimental-websocket; Node 22 has WebSocket by itself).
set -eu
out=${1:-docs/screenshots}
: "${ODOO_URL:?set ODOO_URL (the Odoo the demo ran against)}" "${ODOO_DB:?set ODOO_DB}"
export ODOO_LOGIN="${ODOO_ADMIN_LOGIN:-admin}" ODOO_PASSWORD="${ODOO_ADMIN_PASSWORD:-admin}"
mkdir -p "$out"
# The picking to show: one the devices moved furthest (shipped), else any the demo released.
picking=$(node -e '
  const [url, db, login, password] = process.argv.slice(1);
  const rpc = (service, method, args) => fetch(url + "/jsonrpc", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", method: "call", params: { service, method, args } }) }).then((r) => r.json()).then((j) => { if (j.error) throw new Error(j.error.data?.message ?? j.error.message); return j.result; });
  (async () => {
    const uid = await rpc("common", "login", [db, login, password]);
    for (const domain of [[["lb_automation_state", "=", "shipped"]], [["lb_automation_state", "!=", false]]]) {
      const ids = await rpc("object", "execute_kw", [db, uid, password, "stock.picking", "search", [domain], { limit: 1, order: "id desc" }]);
      if (ids.length) return process.stdout.write(String(ids[0]));
    }
    throw new Error("no released picking: run npm run demo against this Odoo first");
  })().catch((e) => { process.stderr.write(`screenshots: ${e.message}\n`); process.exit(1); });' "$ODOO_URL" "$ODOO_DB" "$ODOO_LOGIN" "$ODOO_PASSWORD")
node --experimental-websocket "$(dirname "$0")/odoo-shot.mjs" \
  /odoo/action-stock.action_picking_tree_all "$out/pickings.png" \
  "/odoo/action-stock.action_picking_tree_all/$picking" "$out/picking.png" \
  /odoo/action-logistics_bridge.logistics_bridge_device_action "$out/devices.png" \
  /odoo/action-logistics_bridge.logistics_bridge_event_action "$out/outbox.png" \
  /odoo/action-logistics_bridge.logistics_bridge_update_action "$out/inbox.png" \
  /odoo/action-logistics_bridge.logistics_bridge_dashboard_action_server "$out/dashboard.png"
