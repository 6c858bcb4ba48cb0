#!/usr/bin/env node
// Screenshots of Odoo's web client in headless Chromium, driven over the DevTools protocol (CDP), for the
// README (tools/screenshots.sh). One browser for all the shots, one login:
//   node --experimental-websocket tools/odoo-shot.mjs <odoo path> <out.png> [<odoo path> <out.png>]...
// Environment: ODOO_URL (http://127.0.0.1:8069), ODOO_DB, ODOO_LOGIN (admin), ODOO_PASSWORD (admin),
// CHROMIUM (chromium), SHOT_WIDTH x SHOT_HEIGHT (1280 x 760). Chromium picks its own debugging port
// (0), read back from DevToolsActivePort in its profile. Exits 1 when a page shows an error dialog or
// never finishes loading, so a broken screen does not end up in the README.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const base = (process.env.ODOO_URL ?? 'http://127.0.0.1:8069').replace(/\/$/, '');
const db = process.env.ODOO_DB;
const login = process.env.ODOO_LOGIN ?? 'admin';
const password = process.env.ODOO_PASSWORD ?? 'admin';
const width = Number(process.env.SHOT_WIDTH ?? 1280);
const height = Number(process.env.SHOT_HEIGHT ?? 760);
const pairs = process.argv.slice(2);
if (!db || pairs.length === 0 || pairs.length % 2) {
  process.stderr.write('usage: ODOO_URL=... ODOO_DB=... node --experimental-websocket tools/odoo-shot.mjs <path> <out.png> [<path> <out.png>]...\n');
  process.exit(2);
}
const wait = (ms) => new Promise((r) => setTimeout(r, ms));

/** The session cookie of a login, made by Node (the browser then only carries it). */
async function sessionCookie() {
  const res = await fetch(`${base}/web/session/authenticate`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'call', params: { db, login, password } }),
  });
  const body = await res.json();
  if (body.error || !body.result?.uid) throw new Error(`login ${login} on ${db} refused: ${JSON.stringify(body.error?.data?.message ?? body.error ?? body.result)}`);
  const cookie = (res.headers.getSetCookie?.() ?? [res.headers.get('set-cookie') ?? '']).map((c) => /session_id=([^;]+)/.exec(c)?.[1]).find(Boolean);
  if (!cookie) throw new Error('Odoo sent no session_id cookie');
  return cookie;
}

/** A CDP session on the browser's first page: `call(method, params)` and `until(event)`. */
async function connect(profile) {
  let port;
  for (let i = 0; i < 100 && !port; i++) {
    try {
      port = readFileSync(join(profile, 'DevToolsActivePort'), 'utf8').split('\n')[0];
    } catch {
      await wait(100);
    }
  }
  if (!port) throw new Error('Chromium did not open its debugging port');
  const pages = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
  const page = pages.find((p) => p.type === 'page');
  const ws = new WebSocket(page.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = () => reject(new Error('no websocket to Chromium'));
  });
  let id = 0;
  const replies = new Map();
  const listeners = [];
  ws.onmessage = ({ data }) => {
    const msg = JSON.parse(data);
    if (msg.id !== undefined) {
      const r = replies.get(msg.id);
      replies.delete(msg.id);
      if (msg.error) r?.reject(new Error(`${msg.error.message} (${msg.error.code})`));
      else r?.resolve(msg.result);
      return;
    }
    // An event: resolve who waits for it, keep the others waiting.
    for (const l of listeners.splice(0)) {
      if (l.method === msg.method) l.resolve(msg.params);
      else listeners.push(l);
    }
  };
  const call = (method, params = {}) =>
    new Promise((resolve, reject) => {
      replies.set(++id, { resolve, reject });
      ws.send(JSON.stringify({ id, method, params }));
    });
  const until = (method) => new Promise((resolve) => listeners.push({ method, resolve }));
  return { call, until, close: () => ws.close() };
}

const cookie = await sessionCookie();
const profile = mkdtempSync(join(tmpdir(), 'odoo-shot-'));
const browser = spawn(process.env.CHROMIUM ?? 'chromium', [
  '--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--no-first-run', '--no-default-browser-check',
  '--disable-extensions', '--disable-sync', '--disable-background-networking', '--disable-component-update',
  '--no-proxy-server', `--user-data-dir=${profile}`, '--remote-debugging-address=127.0.0.1', '--remote-debugging-port=0', 'about:blank',
], { stdio: 'ignore' });
let failed = false;
try {
  const cdp = await connect(profile);
  await cdp.call('Page.enable');
  await cdp.call('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false });
  await cdp.call('Network.enable');
  await cdp.call('Network.setCookie', { name: 'session_id', value: cookie, url: base, httpOnly: true });
  const js = async (expression) => (await cdp.call('Runtime.evaluate', { expression, returnByValue: true })).result.value;
  for (let i = 0; i < pairs.length; i += 2) {
    const [path, out] = [pairs[i], pairs[i + 1]];
    const loaded = cdp.until('Page.loadEventFired');
    await cdp.call('Page.navigate', { url: `${base}${path.startsWith('/') ? '' : '/'}${path}` });
    await loaded;
    // The web client renders after the load event: wait for its action, then for its RPCs to settle.
    let ready = false;
    for (let t = 0; t < 80 && !ready; t++) {
      await wait(250);
      ready = await js(`!!document.querySelector('.o_action_manager .o_content, .o_action_manager .o_form_view') && !document.querySelector('.o_loading_indicator, .o_blockUI')`);
    }
    await wait(800);
    const errors = await js(`[...document.querySelectorAll('.o_error_dialog, .modal .o_dialog_error')].map((e) => e.innerText.slice(0, 300))`);
    if (!ready || errors.length) {
      failed = true;
      process.stderr.write(`${path}: ${ready ? `error on the page: ${errors.join(' | ')}` : 'the web client did not finish loading'}\n`);
    }
    const shot = await cdp.call('Page.captureScreenshot', { format: 'png', optimizeForSpeed: false });
    writeFileSync(out, Buffer.from(shot.data, 'base64'));
    process.stdout.write(`${out}: ${path} (${await js('document.title')})\n`);
  }
  cdp.close();
} finally {
  const exited = new Promise((r) => browser.once('exit', r));
  browser.kill('SIGTERM');
  await Promise.race([exited, wait(5_000)]);
  rmSync(profile, { recursive: true, force: true, maxRetries: 5 });
}
process.exit(failed ? 1 : 0);
