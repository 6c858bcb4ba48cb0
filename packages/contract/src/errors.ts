/**
 * A message that breaks the contract: `path` names the first bad field as a dotted path with [index],
 * prefixed by the oneof case ("update.pick_confirmed.lines[0].quantity"). The gateway answers it with
 * INVALID_ARGUMENT and that path; an adapter can check its own messages with the same schemas.
 */
export class ContractViolation extends Error {
  override readonly name = 'ContractViolation';
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}
