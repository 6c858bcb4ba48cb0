import type { z } from 'zod';

/**
 * A validity check compiled once from a zod schema, for the relay's hot path: plain closures that
 * answer "certainly valid" without zod's result objects, issue lists or copies. Only the constructs the
 * outbox schemas use are compiled (objects with or without an `unknown` catch-all, strings with length
 * bounds, numbers with integer / bound checks, booleans, enums, arrays, nullable, optional, unknown);
 * anything else makes `compileCheck` answer `undefined` and the caller uses zod for every value.
 *
 * The zod schema stays the contract: a `false` here means "run zod", which then refuses the value and
 * names the field (or accepts it, should this check be stricter somewhere). A unit test runs both over
 * valid and mutated values and checks that this never accepts what zod refuses.
 */
export type FastCheck = (value: unknown) => boolean;

interface Def {
  type: string;
  checks?: ReadonlyArray<{ _zod: { def: CheckDef } }>;
  innerType?: z.ZodType;
  element?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  entries?: Record<string, string | number>;
}

interface CheckDef {
  check: string;
  format?: string;
  value?: number | bigint;
  inclusive?: boolean;
  minimum?: number;
  maximum?: number;
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

export function compileCheck(schema: z.ZodType): FastCheck | undefined {
  const def = defOf(schema);
  switch (def.type) {
    case 'unknown':
    case 'any':
      return () => true;
    case 'boolean':
      return (v) => typeof v === 'boolean';
    case 'string':
      return stringCheck(def);
    case 'number':
      return numberCheck(def);
    case 'enum': {
      const allowed = new Set(Object.values(def.entries ?? {}));
      return (v) => (typeof v === 'string' || typeof v === 'number') && allowed.has(v);
    }
    case 'nullable': {
      const inner = def.innerType && compileCheck(def.innerType);
      return inner && ((v) => v === null || inner(v));
    }
    case 'optional': {
      const inner = def.innerType && compileCheck(def.innerType);
      return inner && ((v) => v === undefined || inner(v));
    }
    case 'array': {
      if (def.checks?.length) return undefined;
      const element = def.element && compileCheck(def.element);
      if (!element) return undefined;
      return (v) => {
        if (!Array.isArray(v)) return false;
        for (let i = 0; i < v.length; i++) if (!element(v[i])) return false;
        return true;
      };
    }
    case 'object':
      return objectCheck(def);
    default:
      return undefined;
  }
}

function stringCheck(def: Def): FastCheck | undefined {
  let min = 0;
  let max = Infinity;
  for (const c of def.checks ?? []) {
    const d = c._zod.def;
    if (d.check === 'min_length' && typeof d.minimum === 'number') min = Math.max(min, d.minimum);
    else if (d.check === 'max_length' && typeof d.maximum === 'number') max = Math.min(max, d.maximum);
    else return undefined;
  }
  return (v) => typeof v === 'string' && v.length >= min && v.length <= max;
}

function numberCheck(def: Def): FastCheck | undefined {
  let integer = false;
  let above = -Infinity;
  let aboveInclusive = true;
  let below = Infinity;
  let belowInclusive = true;
  for (const c of def.checks ?? []) {
    const d = c._zod.def;
    if (d.check === 'number_format' && d.format === 'safeint') integer = true;
    else if (d.check === 'greater_than' && typeof d.value === 'number') [above, aboveInclusive] = [d.value, d.inclusive === true];
    else if (d.check === 'less_than' && typeof d.value === 'number') [below, belowInclusive] = [d.value, d.inclusive === true];
    else return undefined;
  }
  return (v) =>
    typeof v === 'number' &&
    Number.isFinite(v) &&
    (!integer || Number.isSafeInteger(v)) &&
    (aboveInclusive ? v >= above : v > above) &&
    (belowInclusive ? v <= below : v < below);
}

function objectCheck(def: Def): FastCheck | undefined {
  // No catch-all strips unknown keys, an `unknown` one keeps them: either way they are valid.
  if (def.catchall && defOf(def.catchall).type !== 'unknown') return undefined;
  const keys: string[] = [];
  const checks: FastCheck[] = [];
  const presence: string[] = [];
  for (const [key, field] of Object.entries(def.shape ?? {})) {
    const check = compileCheck(field);
    if (!check) return undefined;
    keys.push(key);
    checks.push(check);
    // zod wants the key present unless the field is optional, even when its schema takes undefined
    // (`z.unknown()`); for the other fields an absent key reads as undefined and fails anyway.
    if (defOf(field).type !== 'optional' && check(undefined)) presence.push(key);
  }
  const n = keys.length;
  return (v) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
    const o = v as Record<string, unknown>;
    for (let i = 0; i < n; i++) if (!(checks[i] as FastCheck)(o[keys[i] as string])) return false;
    for (let i = 0; i < presence.length; i++) if (!((presence[i] as string) in o)) return false;
    return true;
  };
}
