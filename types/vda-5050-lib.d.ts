/** The standard's JSON schemas (VDA 5050 2.0) as compiled validators, shipped by the npm package vda-5050-lib. */
declare module 'vda-5050-lib/common/vda-5050-validators-2.0' {
  interface Validator {
    (data: unknown): boolean;
    errors?: Array<{ instanceLocation?: string; keywordLocation?: string }> | null;
  }
  export const validateOrder: Validator;
  export const validateInstantActions: Validator;
  export const validateState: Validator;
  export const validateConnection: Validator;
}
