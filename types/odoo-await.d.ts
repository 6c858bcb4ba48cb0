// odoo-await 3.4.1 ships no types; this declares the part the tests and tools use.
declare module 'odoo-await' {
  interface OdooAwaitOptions {
    baseUrl?: string;
    port?: number;
    db?: string;
    username?: string;
    password?: string;
  }
  class OdooAwait {
    constructor(opts?: OdooAwaitOptions);
    uid: number;
    connect(): Promise<number>;
    execute_kw(model: string, method: string, params: unknown[]): Promise<unknown>;
    create(model: string, params?: Record<string, unknown>): Promise<number>;
    read<T = Record<string, unknown>>(model: string, ids: number | number[], fields?: string[]): Promise<T[]>;
    update(model: string, id: number | number[], params?: Record<string, unknown>): Promise<boolean>;
    delete(model: string, id: number | number[]): Promise<boolean>;
    searchRead<T = Record<string, unknown>>(
      model: string,
      domain: unknown[],
      fields?: string[],
      opts?: { offset?: number; limit?: number; order?: string; context?: Record<string, unknown> },
    ): Promise<T[]>;
    search(model: string, domain: unknown[]): Promise<number[]>;
    action(model: string, action: string, recordId: number | number[]): Promise<unknown>;
  }
  export = OdooAwait;
}
