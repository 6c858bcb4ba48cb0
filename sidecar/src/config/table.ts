import { envSchema, SECRET_VARIABLES } from './schema';

/** The README's configuration table, generated from the schema (`npm run docs:config` prints it). */
export function configTable(): string {
  const rows = Object.entries(envSchema.shape).map(([name, field]) => {
    const f = field as { description?: string; safeParse(v: unknown): { success: boolean; data?: unknown } };
    const fallback = f.safeParse(undefined);
    const isRequired = !fallback.success;
    const def = fallback.success && fallback.data !== undefined ? `\`${envText(fallback.data)}\`` : '';
    const secret = (SECRET_VARIABLES as readonly string[]).includes(name) ? ` (also \`${name}_FILE\`)` : '';
    return `| \`${name}\`${secret} | ${isRequired ? 'yes' : ''} | ${def} | ${f.description ?? ''} |`;
  });
  return ['| variable | required | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

/**
 * A default as the variable's text, i.e. what setting the variable to it means: a transformed default
 * (GATEWAY_TOKENS parses its JSON) is shown as JSON, never as `[object Object]`.
 */
export function envText(value: unknown): string {
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}
