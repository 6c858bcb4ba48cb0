import { ZodError } from 'zod';
import { OdooAccessError, OdooAuthError, OdooError, OdooTransportError, OdooUserError } from '../odoo';

/** Where the sidecar talks to Odoo, for messages an operator can act on. */
export interface OdooTargetInfo {
  url: string;
  db: string;
  login: string;
}

/** Which part of "the bridge can flow" failed, what Odoo said, and what to change. */
export interface Diagnosis {
  /** Readiness check at fault: odoo (server), odoo_login (database, credentials), logistics_bridge (addon, rights). */
  check: 'odoo' | 'odoo_login' | 'logistics_bridge';
  error: string;
  fix: string;
}

/**
 * Odoo's raw errors on the bridge's calls, mapped once to a named cause and its fix. /readyz and the
 * operator CLI both report through this, so they say the same thing for the same failure. The
 * patterns are Odoo 18's (the class names hold in every language; the messages checked are the
 * server's own, untranslated ones, plus the model name that every translation keeps).
 */
const missingDatabase = (t: OdooTargetInfo): Diagnosis => ({
  check: 'odoo_login',
  error: `database "${t.db}" does not exist on ${t.url}`,
  fix: 'set ODOO_DB to the database where logistics_bridge is installed',
});

export function diagnoseOdooError(err: unknown, t: OdooTargetInfo): Diagnosis {
  const raw = err instanceof Error ? err.message.trim() : String(err);
  if (err instanceof ZodError) {
    return { check: 'logistics_bridge', error: `the logistics_bridge addon in database "${t.db}" answered in a shape this sidecar does not know: ${raw.slice(0, 200)}`, fix: 'install the same version of the addon and the sidecar (upgrade the addon: odoo-bin -u logistics_bridge)' };
  }
  if (!(err instanceof OdooError)) return { check: 'odoo', error: raw, fix: 'see the sidecar and Odoo logs' };
  if (err instanceof OdooTransportError) {
    // JSON-2 (Odoo 19) answers an unknown X-Odoo-Database with its HTML 404 page "No database is selected".
    if (err.odooClass === 'http_404' && /No database is s/.test(raw)) return missingDatabase(t);
    if (/^http_(404|405)$/.test(err.odooClass)) return { check: 'odoo', error: `${t.url} does not serve Odoo's JSON-RPC (${raw.slice(0, 120)})`, fix: 'set ODOO_URL to the base URL of the Odoo server, e.g. http://odoo:8069' };
    return { check: 'odoo', error: `Odoo is unreachable at ${t.url}: ${raw}`, fix: 'check ODOO_URL and that Odoo is running and reachable from the sidecar' };
  }
  if (/database "[^"]*" does not exist/.test(raw) || /KeyError: .*\bdatabase\b/i.test(raw)) return missingDatabase(t);
  if (err instanceof OdooAuthError) {
    return { check: 'odoo_login', error: `the API key was refused for login "${t.login}" on database "${t.db}"`, fix: `set ODOO_API_KEY to an API key of user "${t.login}" (in Odoo: the user's Preferences › Account Security › New API Key; deploy/create_service_user.py makes one) and check ODOO_LOGIN` };
  }
  if (err instanceof OdooAccessError) {
    return { check: 'logistics_bridge', error: `the service user "${t.login}" lacks the Integration service group in database "${t.db}" (${raw.slice(0, 160)})`, fix: `in Odoo, Settings › Users › ${t.login}: add the group Logistics Bridge / Integration service (deploy/create_service_user.py does it)` };
  }
  if (err instanceof OdooUserError && /\blogistics\.bridge\.[a-z_.]+/.test(raw)) {
    return { check: 'logistics_bridge', error: `logistics_bridge is not installed in database "${t.db}" (Odoo: ${raw.slice(0, 160)})`, fix: `install the addon in that database (Apps › Logistics Bridge, or odoo-bin -d ${t.db} -i logistics_bridge), or set ODOO_DB to the database that has it` };
  }
  if (/does not exist on the model 'logistics\.bridge\./.test(raw)) {
    return { check: 'logistics_bridge', error: `the logistics_bridge addon in database "${t.db}" is older than this sidecar (${raw.slice(0, 160)})`, fix: `upgrade the addon: odoo-bin -d ${t.db} -u logistics_bridge` };
  }
  return { check: 'odoo', error: `Odoo failed (${err.odooClass}): ${raw.slice(0, 300)}`, fix: 'see the Odoo server log for the traceback' };
}
