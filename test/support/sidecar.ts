import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

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

/** Polls an HTTP endpoint until `accept` says yes; returns the last status and JSON body. */
export async function pollJson(url: string, accept: (status: number) => boolean, timeoutMs = 30_000): Promise<{ status: number; body: unknown }> {
  const deadline = Date.now() + timeoutMs;
  let last = { status: 0, body: undefined as unknown };
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      last = { status: res.status, body: await res.json() };
      if (accept(res.status)) return last;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return last;
}
