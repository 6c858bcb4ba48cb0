import { z } from 'zod';
import { odooChecks, bridgePing, odooCall, type OdooCheckDeps } from './checks';
import { CheckFailure, type CheckResult, type ReadinessCheck } from './server';
import { checkTlsFiles, type TlsFiles } from './tls';

const callerRights = z.object({ internal: z.boolean(), groups: z.record(z.string(), z.boolean()) });

/**
 * The oldest addon version (the part after the Odoo series: `18.0.1.1.0` is 1.1.0) whose API this sidecar
 * calls; test/unit/health/doctor.unit.spec.ts keeps it at most the manifest's.
 */
export const MIN_ADDON_VERSION = '1.2.1';
export const SERVICE_GROUP = 'logistics_bridge.logistics_bridge_group_service';
/** Groups the service user must not have (DESIGN.md invariant 6: only what the bridge needs). */
export const ADMIN_GROUPS = ['base.group_system', 'base.group_erp_manager'] as const;

export interface DoctorDeps extends OdooCheckDeps {
  /** Connects to RabbitMQ and lists what differs from the declared topology (empty: all as declared); undefined when the configuration has no usable AMQP_URL. */
  topology?: () => Promise<string[]>;
  /** The gateway's TLS files, when GRPC_TLS_* are set. */
  tls?: TlsFiles;
  now?: () => Date;
}

/** `18.0.1.1.0` → [1, 1, 0]; a version without a series prefix as it is. */
export function addonVersionParts(version: string): number[] {
  const parts = version.split('.').map(Number);
  return parts.length >= 5 ? parts.slice(2) : parts;
}

export function compareVersions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * `logistics-bridge doctor`: readiness's Odoo checks (same causes and fixes, diagnose.ts), then what
 * only an operator asks for once: the addon's version against this sidecar's, the service user's rights,
 * the broker topology as declared, the gateway's TLS files.
 */
export function doctorChecks(d: DoctorDeps): ReadinessCheck[] {
  const call = odooCall(d.target);
  const now = d.now ?? (() => new Date());
  return [
    ...odooChecks(d),
    {
      name: 'addon_version',
      after: 'logistics_bridge',
      check: async (signal) => {
        const { addon_version } = await bridgePing(d, signal);
        if (compareVersions(addonVersionParts(addon_version), addonVersionParts(MIN_ADDON_VERSION)) < 0) {
          throw new CheckFailure(`the addon in database "${d.target.db}" is ${addon_version}, this sidecar needs ${MIN_ADDON_VERSION} or newer`, `upgrade the addon: odoo-bin -d ${d.target.db} -u logistics_bridge (docker compose: down, then up)`);
        }
        return `${addon_version} (this sidecar needs ${MIN_ADDON_VERSION} or newer)`;
      },
    },
    {
      name: 'rights',
      after: 'logistics_bridge',
      check: async () => {
        // The addon answers about the caller: the service user may read no res.users record (invariant 6).
        const answer = await call(() => d.odoo.executeKw('logistics.bridge.service', 'caller_rights', [[SERVICE_GROUP, ...ADMIN_GROUPS]], {}, { idempotent: true }));
        const rights = callerRights.safeParse(answer);
        if (!rights.success) throw new CheckFailure(`the addon answered caller_rights with ${JSON.stringify(answer)}`, `upgrade the addon to ${MIN_ADDON_VERSION} or newer: odoo-bin -d ${d.target.db} -u logistics_bridge`);
        const { groups, internal } = rights.data;
        if (!groups[SERVICE_GROUP]) throw new CheckFailure(`the service user "${d.target.login}" lacks the group Logistics Bridge / Integration service`, `in Odoo, Settings › Users › ${d.target.login}: add the group (deploy/create_service_user.py does it)`);
        const admin = ADMIN_GROUPS.filter((g) => groups[g]);
        if (admin.length) throw new CheckFailure(`the service user "${d.target.login}" has administrator rights (${admin.join(', ')}): more than the bridge needs`, `in Odoo, Settings › Users › ${d.target.login}: set Administration to none; the Integration service group is all it needs`);
        const detail = `${d.target.login}: Integration service group, no administrator rights`;
        if (internal) return { detail, warning: 'it is an Internal User, so it can read partners, products and users through the API: upgrade the addon (it takes Internal User from an account that has only the service group) or run deploy/create_service_user.py' };
        return detail;
      },
    },
    {
      name: 'rabbitmq_topology',
      check: async () => {
        if (!d.topology) throw new CheckFailure('not checked: the RabbitMQ configuration (AMQP_*) is not usable', 'fix the configuration lines above');
        const problems = await d.topology();
        if (problems.length) {
          const other = problems.some((p) => p.includes('other arguments'));
          throw new CheckFailure(problems.join('; '), other ? 'apply the policies of docs/broker.md ("Upgrading queues"), or delete the empty queue and let the sidecar declare it' : 'start the sidecar once against this vhost (it declares its exchanges and queues), or check the vhost in AMQP_URL');
        }
        return 'exchanges and queues exist as declared';
      },
    },
    {
      name: 'gateway_tls',
      check: async () => (d.tls ? checkTlsFiles(d.tls, now(), d.target.keyWarnDays) : 'not configured: the gateway serves plaintext gRPC (set GRPC_TLS_CERT_FILE and GRPC_TLS_KEY_FILE for TLS)'),
    },
  ];
}

/** One line per check: `ok   name  detail`, `WARN name  detail: warning`, `FAIL name  error` and `     fix: ...`. */
export function formatDoctor(results: ReadonlyArray<readonly [string, CheckResult]>): string {
  const width = Math.max(...results.map(([n]) => n.length));
  const lines: string[] = [];
  for (const [name, r] of results) {
    const label = name.padEnd(width);
    if (!r.ok) lines.push(`FAIL ${label}  ${r.error ?? 'failed'}${r.fix ? `\n     ${' '.repeat(width)}  fix: ${r.fix}` : ''}`);
    else if (r.warning) lines.push(`WARN ${label}  ${r.detail ? `${r.detail}: ` : ''}${r.warning}`);
    else lines.push(`ok   ${label}  ${r.detail ?? ''}`.trimEnd());
  }
  return lines.join('\n');
}
