/**
 * `npm run demo` as a person runs it: the command prints where to look, serves the page and the
 * auth endpoint, stops cleanly on Ctrl+C, and a taken port is one readable line, not a stack trace.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { resolve } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { chatPage, launchChromium, newRecordedContext } from './helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');
/** The developer's keys and broker settings must not leak into what is tested. */
const ENV_DROPPED = /^(ANTHROPIC_|OPENAI_|CLOUDSIGNAL_|NEXT_PUBLIC_CLOUDSIGNAL_|MQTT_|DEMO_|PORT$)/;

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running: ChildProcess[] = [];

function runDemo(args: string[]): Run {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !ENV_DROPPED.test(name)));
  const child = spawn(process.execPath, ['--import', 'tsx', 'demo/server.ts', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.on('exit', (code, signal) => done({ code, signal })));
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function waitForOutput(run: Run, pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = run.stdout().match(pattern);
    if (match) return match;
    if (run.child.exitCode !== null) throw new Error(`demo exited (${run.child.exitCode}) before printing ${pattern}:\n${run.stdout()}\n${run.stderr()}`);
    if (Date.now() > deadline) throw new Error(`demo did not print ${pattern} in ${timeoutMs} ms:\n${run.stdout()}\n${run.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function occupyPort(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { server, port: (server.address() as { port: number }).port };
}

afterEach(() => {
  for (const child of running.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

describe('npm run demo', () => {
  test('prints the URL, the broker URLs and the model; serves the page and the auth endpoint; Ctrl+C stops it cleanly', async () => {
    const run = runDemo(['--port', '0', '--mqtt-port', '0', '--ws-port', '0', '--tokens-per-second', '25']);
    const [, url] = await waitForOutput(run, /Open\s+(http:\/\/127\.0\.0\.1:\d+\/)/);
    await waitForOutput(run, /Press Ctrl\+C to stop\./);
    const out = run.stdout();
    expect(out).toMatch(/Broker\s+embedded \(Aedes\): mqtt:\/\/127\.0\.0\.1:\d+ for workers, ws:\/\/127\.0\.0\.1:\d+\/mqtt for browsers/);
    expect(out).toMatch(/Model\s+Simulated model \(offline, 25 tokens\/s/);
    expect(out).toContain('signed per-user tokens');

    // First visit: the page, and a demo session cookie naming the user.
    const page = await fetch(url, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root"></div>');
    const cookie = page.headers.get('set-cookie')!.split(';')[0];
    expect(cookie).toMatch(/^csk_demo_user=guest-[0-9a-f]{8}$/);

    // The auth endpoint issues credentials for that user, for ?user= through the header, and none without either.
    const token = await fetch(`${url}api/mqtt-token`, { method: 'POST', headers: { cookie } });
    expect(token.status).toBe(200);
    const credentials = (await token.json()) as { username: string; userId: string; password: string };
    expect(credentials.userId).toBe(cookie.split('=')[1]);
    expect(credentials.password.split('.')).toHaveLength(3);
    const alice = await fetch(`${url}api/mqtt-token`, { method: 'POST', headers: { 'x-demo-user': 'alice' } });
    expect(((await alice.json()) as { userId: string }).userId).toBe('alice');
    expect((await fetch(`${url}api/mqtt-token`, { method: 'POST' })).status).toBe(401);
    expect((await fetch(`${url}api/chat`, { method: 'POST', body: '{}' })).status).toBe(401);

    run.child.kill('SIGINT');
    const exit = await run.exited;
    expect(exit.code).toBe(0);
    expect(run.stdout()).toContain('demo: stopped');
    expect(run.stderr()).toBe('');
  });

  test.each([
    ['--port', 'HTTP', '--port / PORT'],
    ['--mqtt-port', 'MQTT', '--mqtt-port / MQTT_PORT'],
    ['--ws-port', 'WebSocket', '--ws-port / MQTT_WS_PORT'],
  ])('a taken %s is one readable line and exit code 1', async (flag, what, hint) => {
    const { server, port } = await occupyPort();
    try {
      const ports: Record<string, string> = { '--port': '0', '--mqtt-port': '0', '--ws-port': '0', [flag]: String(port) };
      const run = runDemo(Object.entries(ports).flat());
      const exit = await run.exited;
      expect(exit.code).toBe(1);
      expect(run.stderr()).toBe(`demo: ${what} port ${port} on 127.0.0.1 is already in use. Choose another with ${hint} (0 picks a free port).\n`);
    } finally {
      server.close();
    }
  });

  test('Ctrl+C with a page open mid-answer (HMR socket, broker socket, running turn) stops within a few seconds', async () => {
    const run = runDemo(['--port', '0', '--mqtt-port', '0', '--ws-port', '0']);
    const [, url] = await waitForOutput(run, /Open\s+(http:\/\/127\.0\.0\.1:\d+\/)/);
    const browser = await launchChromium();
    try {
      const page = await (await newRecordedContext(browser)).newPage();
      await page.goto(`${url}?user=e2e-ctrl-c&chat=c1`);
      const chat = chatPage(page);
      await chat.connected();
      await chat.ask('How does this work?');
      await chat.answerLength(40);

      run.child.kill('SIGINT');
      // The running answer gets two seconds to finish, then everything closes: a socket left open
      // would keep the process alive, and this test would fail at its timeout instead of exiting.
      const exit = await run.exited;
      expect(exit.code).toBe(0);
      expect(run.stdout()).toContain('demo: stopped');
    } finally {
      await browser.close();
    }
  });
});
