/**
 * `npm run test:packed`: the kit as a user installs it. Builds and packs the kit, then:
 *
 * 1. the tarball holds every export's code and types, `react.js` is a client entry, the public
 *    types have no `any` and every export has TSDoc (`check-package.ts`);
 * 2. the transport entry loads in Node with only `ai` and `mqtt` next to it (no React, no
 *    `@ai-sdk/react`);
 * 3. the tarball installs into `examples/nextjs` (React 19, App Router) and `examples/vite-react18`
 *    (React 18), and `next build` and the Vite build pass;
 * 4. a Server Component and a route handler of the Next app import the transport entry, and both
 *    answer at run time;
 * 5. in Chromium one turn streams through each app: Next `ChatWindow`, Next plain `useChat`, and
 *    the React 18 `ChatWindow`.
 *
 * The kit is built first unless `dist` is newer than every build input (CI has just built it).
 * Installs go to `$PACKED_WORKDIR` (default `~/.cache/ai-chat-kit/packed`) and are kept between
 * runs, so only the kit itself is reinstalled; packages come from the npm registry (`--prefer-offline`).
 * Prints a table of the steps and their durations; exits 1 naming what failed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { checkPackage } from './check-package.js';
import { launchChromium, streamOneTurn, type BrowserTurn } from './packed-browser-check.js';

const root = resolve(import.meta.dirname, '..');
const workdir = process.env.PACKED_WORKDIR ?? join(homedir(), '.cache', 'ai-chat-kit', 'packed');
const quietEnv: NodeJS.ProcessEnv = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };

interface Step {
  name: string;
  ok: boolean;
  seconds: number;
  detail?: string;
}
const steps: Step[] = [];
/** The Next example's Server Component and route handler that import the transport entry. */
const SERVER_IMPORTERS = ['app/page.tsx', 'app/api/chat/route.ts'];
/** Every step of a full run: fewer means an early failure skipped the rest. */
const STEP_COUNT = 13;

/** Runs one step and records it; resolves with its value, or undefined when it failed. */
async function step<T>(name: string, run: () => Promise<T>): Promise<T | undefined> {
  const started = performance.now();
  try {
    const value = await run();
    steps.push({ name, ok: true, seconds: (performance.now() - started) / 1000 });
    console.log(`ok    ${name}`);
    return value;
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    steps.push({ name, ok: false, seconds: (performance.now() - started) / 1000, detail });
    console.error(`FAIL  ${name}\n${detail}`);
    return undefined;
  }
}

/** Runs one step and records it; true when it passed. */
async function passed(name: string, run: () => Promise<unknown>): Promise<boolean> {
  await step(name, run);
  return steps.find((recorded) => recorded.name === name)?.ok === true;
}

/** Runs a command to the end; rejects with its last output lines when it fails. */
function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = quietEnv): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (data) => (output += data));
    child.stderr.on('data', (data) => (output += data));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolvePromise(output) : reject(new Error(`${command} ${args.join(' ')} exited with ${code}:\n${output.split('\n').slice(-30).join('\n')}`))));
  });
}

/** A server we start and must stop: its own process group, killed by its id. */
function startServer(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string } {
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout!.on('data', (data) => (output += data));
  child.stderr!.on('data', (data) => (output += data));
  return { child, output: () => output };
}

function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return Promise.resolve();
  return new Promise((resolvePromise) => {
    child.once('exit', () => resolvePromise());
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      resolvePromise();
    }
  });
}

function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePromise(port));
    });
    server.on('error', reject);
  });
}

/** Resolves once `url` answers (any status), or rejects with the server's output after `timeoutMs`. */
async function waitForHttp(url: string, output: () => string, child: ChildProcess, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}):\n${output()}`);
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms:\n${output()}`);
}

/** Newest modification time under `path` (a file or a folder), ms. */
function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((newest, name) => Math.max(newest, newestMtime(join(path, name))), 0);
}

/**
 * CI builds just before this runs (`.ci/run`: `npm run build`, then `npm test`): reuse that build
 * when every build input is older than the oldest entry file. `SKIP_BUILD=1` forces reuse.
 */
function distIsFresh(): boolean {
  if (process.env.SKIP_BUILD === '1') return true;
  const outputs = ['index.js', 'react.js', 'server.js', 'broker.js', 'testing.js', 'index.d.ts', 'styles.css'].map((name) => join(root, 'dist', name));
  if (!outputs.every((file) => existsSync(file))) return false;
  const built = Math.min(...outputs.map((file) => statSync(file).mtimeMs));
  const inputs = ['src', 'package.json', 'vite.config.ts', 'tsconfig.build.json', 'tsconfig.json'].map((name) => join(root, name));
  return Math.max(...inputs.map(newestMtime)) < built;
}

/** Copies an example's sources over its kept install (node_modules and build caches stay). */
function syncExample(name: string): string {
  const target = join(workdir, name);
  mkdirSync(target, { recursive: true });
  cpSync(join(root, 'examples', name), target, { recursive: true, filter: (source) => !/[/\\](node_modules|\.next|dist)([/\\]|$)/.test(source) });
  return target;
}

async function installTarball(dir: string, tarball: string): Promise<void> {
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarball], dir);
  const installed = JSON.parse(readFileSync(join(dir, 'node_modules/@cloudsignal/ai-chat-kit/package.json'), 'utf8')) as { version: string };
  const packed = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  if (installed.version !== packed.version) throw new Error(`installed ${installed.version}, packed ${packed.version}`);
}

/** The transport entry loaded by Node next to nothing but its own peers `ai` and `mqtt`. */
async function loadTransportWithoutReact(tarball: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kit-server-safe-'));
  try {
    const modules = join(dir, 'node_modules');
    const kit = join(modules, '@cloudsignal', 'ai-chat-kit');
    mkdirSync(kit, { recursive: true });
    await run('tar', ['-xzf', tarball, '-C', kit, '--strip-components=1'], dir);
    // Symlinks resolve their own dependencies from the kit's repository; the kit's files resolve
    // bare imports from this folder only, where react and @ai-sdk/react do not exist.
    for (const name of ['ai', 'mqtt']) symlinkSync(join(root, 'node_modules', name), join(modules, name), 'dir');
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
    const probe = `const kit = await import('@cloudsignal/ai-chat-kit');
      for (const name of ['react', '@ai-sdk/react', 'react-dom']) { try { await import(name); throw new Error(name + ' is installed here: the check proves nothing'); } catch (error) { if (error.code !== 'ERR_MODULE_NOT_FOUND') throw error; } }
      new kit.TopicScheme(); if (typeof kit.CloudSignalChatTransport !== 'function' || typeof kit.PlainTokenChatTransport !== 'function') throw new Error('transport classes missing');
      console.log(Object.keys(kit).length + ' exports');`;
    const { NODE_PATH: _ignored, ...env } = quietEnv;
    await run(process.execPath, ['--input-type=module', '-e', probe], dir, env);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  const packDir = mkdtempSync(join(tmpdir(), 'kit-pack-'));
  const servers: ChildProcess[] = [];
  try {
    const tarball = await step('build (unless dist is up to date) and pack the kit', async () => {
      if (!distIsFresh()) await run('npm', ['run', 'build'], root);
      const output = await run('npm', ['pack', '--ignore-scripts', '--pack-destination', packDir, '--json'], root);
      const [pack] = JSON.parse(output) as { filename: string }[];
      return join(packDir, pack.filename);
    });
    if (!tarball) return;
    await step('tarball: every export has code and types; react.js says use client; no any; TSDoc on every export', async () => {
      const problems = checkPackage(root);
      if (problems.length > 0) throw new Error(problems.join('\n'));
    });
    await step('transport entry loads in Node without react, react-dom or @ai-sdk/react', () => loadTransportWithoutReact(tarball));

    // Both apps install and build side by side: mostly waiting on the registry cache and disk.
    const [nextDir, viteDir] = await Promise.all([
      (async () => {
        const dir = syncExample('nextjs');
        if (!(await passed('examples/nextjs: npm install the tarball (React 19)', () => installTarball(dir, tarball)))) return undefined;
        const built = await passed('examples/nextjs: next build (a Server Component and a route handler import the transport entry)', async () => {
          const stale = SERVER_IMPORTERS.filter((file) => !/from '@cloudsignal\/ai-chat-kit'/.test(readFileSync(join(dir, file), 'utf8')));
          if (stale.length > 0) throw new Error(`these files no longer import the transport entry: ${stale.join(', ')}`);
          return run('npx', ['next', 'build'], dir);
        });
        return built ? dir : undefined;
      })(),
      (async () => {
        const dir = syncExample('vite-react18');
        if (!(await passed('examples/vite-react18: npm install the tarball (React 18)', () => installTarball(dir, tarball)))) return undefined;
        return (await passed('examples/vite-react18: tsc + vite build', () => run('npm', ['run', 'build'], dir))) ? dir : undefined;
      })(),
    ]);

    const turns: BrowserTurn[] = [];
    if (nextDir) {
      const [port, mqttPort, wsPort] = [await freePort(), await freePort(), await freePort()];
      const server = startServer('npx', ['next', 'start', '-H', '127.0.0.1', '-p', String(port)], nextDir, { ...quietEnv, MQTT_PORT: String(mqttPort), MQTT_WS_PORT: String(wsPort) });
      servers.push(server.child);
      const base = `http://127.0.0.1:${port}`;
      const answer = 'one token at a time.';
      await step('examples/nextjs: the Server Component and the route handler answer', async () => {
        await waitForHttp(base, server.output, server.child);
        const page = await (await fetch(base)).text();
        if (!page.includes('chat/guest/support/request')) throw new Error('the Server Component did not render the topic from the transport entry');
        const rejected = await fetch(`${base}/api/chat`, { method: 'POST', body: '{"id":"bad id"}', headers: { 'content-type': 'application/json' } });
        if (rejected.status !== 400) throw new Error(`POST /api/chat with a bad chat id answered ${rejected.status}, expected 400`);
      });
      turns.push({ name: 'Next.js (React 19): ChatWindow', url: `${base}/`, answer, kind: 'chat-window' }, { name: 'Next.js (React 19): plain useChat', url: `${base}/use-chat`, answer, kind: 'plain' });
    }
    if (viteDir) {
      const [port, mqttPort, wsPort] = [await freePort(), await freePort(), await freePort()];
      const server = startServer(process.execPath, ['server.mjs'], viteDir, { ...quietEnv, PORT: String(port), MQTT_PORT: String(mqttPort), MQTT_WS_PORT: String(wsPort) });
      servers.push(server.child);
      await step('examples/vite-react18: server starts', () => waitForHttp(`http://127.0.0.1:${port}/`, server.output, server.child));
      turns.push({ name: 'Vite (React 18): ChatWindow', url: `http://127.0.0.1:${port}/`, answer: 'renders this answer as it streams.', kind: 'chat-window' });
    }
    if (turns.length > 0) {
      const browser = await step('Chromium starts', () => launchChromium());
      if (browser) {
        for (const turn of turns) await step(`Chromium: one turn streams through ${turn.name}`, () => streamOneTurn(browser, turn));
        await browser.close();
      }
    }
  } finally {
    await Promise.all(servers.map(stopServer));
    rmSync(packDir, { recursive: true, force: true });
    console.log('\n| step | result | s |\n|---|---|---|');
    for (const { name, ok, seconds } of steps) console.log(`| ${name} | ${ok ? 'pass' : 'FAIL'} | ${seconds.toFixed(1)} |`);
    console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }
  const expected = STEP_COUNT;
  const failed = steps.filter((s) => !s.ok).map((s) => s.name);
  if (failed.length > 0 || steps.length < expected) {
    console.error(`\ntest:packed failed: ${failed.length > 0 ? failed.join('; ') : `only ${steps.length} of ${expected} steps ran`}`);
    process.exit(1);
  }
}

if (!existsSync('/usr/bin/chromium') && !process.env.CHROMIUM_PATH) console.warn('no /usr/bin/chromium: run scripts/ensure-system-deps.sh');
await main();
