import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { AMQP_URL } from './env';

/** The real sidecar entry point as a child process, as an operator starts it. */
export interface SidecarProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

const MAIN = resolve(__dirname, '../../sidecar/src/main.ts');

/** Node itself runs the sidecar (TypeScript through tsx's require hook), so `child.pid` is the sidecar's pid. */
export function startSidecar(env: Record<string, string>): SidecarProcess {
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', MAIN], {
    cwd: resolve(__dirname, '../..'),
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  return { child, output: () => out, exited };
}

/** The sidecar's environment for a test Odoo: its service user, the test RabbitMQ, and `extra` on top. */
export function sidecarEnv(target: { url: string; db: string; service: { login: string; secret: string } }, extra: Record<string, string>): Record<string, string> {
  return { ODOO_URL: target.url, ODOO_DB: target.db, ODOO_LOGIN: target.service.login, ODOO_API_KEY: target.service.secret, AMQP_URL, ...extra };
}

/** Polls an HTTP endpoint until `accept` says yes; returns the last status and JSON body. */
export async function pollJson(url: string, accept: (status: number, body: unknown) => boolean, timeoutMs = 30_000): Promise<{ status: number; body: unknown }> {
  const deadline = Date.now() + timeoutMs;
  let last = { status: 0, body: undefined as unknown };
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      last = { status: res.status, body: await res.json() };
      if (accept(res.status, last.body)) return last;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return last;
}
