import { strict as assert } from 'node:assert';
import { validateConnection, validateInstantActions, validateOrder, validateState } from 'vda-5050-lib/common/vda-5050-validators-2.0';

const VALIDATORS = { order: validateOrder, instantActions: validateInstantActions, state: validateState, connection: validateConnection };
export type Kind = keyof typeof VALIDATORS;

/** Why `message` fails the VDA 5050 2.0 JSON schema of its topic (as compiled by vda-5050-lib), or undefined. */
export function schemaProblem(kind: Kind, message: unknown): string | undefined {
  const validate = VALIDATORS[kind];
  // Messages go over the wire as JSON: validate what a receiver parses.
  let wire = JSON.parse(JSON.stringify(message)) as Record<string, unknown>;
  if (kind === 'instantActions' && wire && typeof wire === 'object' && 'actions' in wire) {
    // vda-5050-lib 1.4.0 compiled the 2.0 schema as first published, whose array is `instantActions`;
    // the 2.0 document (6.9) and the release/2.0.0 schema name it `actions`, which is what we send.
    // Everything else (header, each action) is checked by the lib's validator as is.
    const { actions, ...rest } = wire;
    wire = { ...rest, instantActions: actions };
  }
  if (validate(wire)) return undefined;
  return JSON.stringify(validate.errors ?? []);
}

export function assertSchemaValid(kind: Kind, message: unknown): void {
  const problem = schemaProblem(kind, message);
  assert.equal(problem, undefined, `${kind} fails the VDA 5050 2.0 schema: ${problem}\n${JSON.stringify(message)}`);
}

/** The schema a topic's messages follow, from its last level. */
export function kindOfTopic(topic: string): Kind {
  const last = topic.slice(topic.lastIndexOf('/') + 1);
  if (last in VALIDATORS) return last as Kind;
  throw new Error(`no schema for topic ${topic}`);
}
