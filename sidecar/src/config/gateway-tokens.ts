import { z } from 'zod';
import { FAMILIES, ID_TEXT } from '@logistics-bridge/contract';

/**
 * Per-adapter credentials of the device gateway, from GATEWAY_TOKENS (JSON, usually via GATEWAY_TOKENS_FILE):
 * `{"<adapterId>": {"token": "...", "devices": ["dev-1", "*"], "family": "sorter", "ratePerSecond": 2000}}`.
 * `devices` is the allowlist of device ids ("*" allows every device, "prefix*" a prefix).
 */
export const adapterCredentialSchema = z.object({
  token: z.string().min(16, 'token must be at least 16 characters'),
  devices: z.array(z.string().min(1)).min(1, 'at least one device (or "*")'),
  family: z.enum(FAMILIES).optional(),
  ratePerSecond: z.number().positive().default(2000),
});
export const gatewayTokensSchema = z.record(z.string().regex(ID_TEXT, 'adapter id: 1..200 characters of [A-Za-z0-9._:/@#-]'), adapterCredentialSchema);
export type AdapterCredential = z.infer<typeof adapterCredentialSchema>;
export type GatewayTokens = z.infer<typeof gatewayTokensSchema>;

/** Parses the GATEWAY_TOKENS value; the error message names the adapter and field, never a token. */
export function parseGatewayTokens(json: string): GatewayTokens {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new Error('not valid JSON');
  }
  const r = gatewayTokensSchema.safeParse(value);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new Error(`${(i?.path ?? []).join('.')}: ${i?.message ?? 'invalid'}`);
  }
  return r.data;
}

