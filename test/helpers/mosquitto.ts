/**
 * Test harness for a real Mosquitto (Debian's `mosquitto` 2.x): writes a generated config into a
 * temp dir, starts the broker on free 127.0.0.1 ports, waits until both listeners accept
 * connections, and stops it by PID. Used by the security, integration, chaos and bench suites.
 *
 * `kill()` simulates a crash (SIGKILL, state kept); `restart()` starts the same broker again on
 * the same ports; `stop()` is final (SIGTERM, then the temp dir is removed). A process-exit
 * hook kills what a failed test left running, and brokers orphaned by a test process that was
 * killed outright are reaped at the next start.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync, chownSync, chmodSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createMosquittoConf, DEFAULT_DYNSEC_PLUGIN_PATH, type MosquittoAuthConfig } from '../../src/server/security/mosquitto-config.js';

export const MOSQUITTO_BIN = '/usr/sbin/mosquitto';
export const MOSQUITTO_CTRL_BIN = '/usr/bin/mosquitto_ctrl';

export interface StartMosquittoOptions {
  /**
   * `anonymous` (default): `allow_anonymous true`, for chaos and benchmark suites.
   * `dynsec`: the dynamic-security plugin with one admin account (see {@link MosquittoHandle.admin}).
   * `{ acl }`: a password file and ACL file written verbatim.
   */
  auth?: 'anonymous' | 'dynsec' | { passwords: Record<string, string>; acl: string };
  /** Open a WebSocket listener too (default true). */
  websockets?: boolean;
  /** Global `max_packet_size` (default the generator's 1 MiB). */
  maxPacketSize?: number;
  /** `max_qos` of both listeners (default 2 in anonymous mode, 1 otherwise). */
  maxQos?: 0 | 1 | 2;
  /** Keep retained messages and sessions across `kill()` / `restart()` (default false). */
  persistence?: boolean;
  /** Extra global config lines. */
  extra?: string[];
  /** How long to wait for the listeners (default 10 s). */
  startTimeoutMs?: number;
}

export interface MosquittoHandle {
  mqttUrl: string;
  /** `ws://127.0.0.1:{port}` (MQTT.js needs no path for Mosquitto); empty without WebSockets. */
  wsUrl: string;
  port: number;
  wsPort: number | undefined;
  /** PID of the running broker (changes on restart). */
  readonly pid: number;
  /** Temp dir with the config (and dynsec / persistence files). */
  dir: string;
  /** Dynamic-security admin account (dynsec mode only). */
  admin?: { username: string; password: string };
  /** Everything the broker wrote to stderr/stdout so far. */
  logs(): string;
  /** SIGTERM, wait for exit, remove the temp dir. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL (a crash), wait for exit; the temp dir stays for `restart()`. */
  kill(): Promise<void>;
  /** Start again with the same config and ports; kills the running one first if needed. */
  restart(): Promise<void>;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of running) if (child.pid && child.exitCode === null) child.kill('SIGKILL');
  });
}

const OWNER_FILE = 'harness.json';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A test process killed hard (e.g. a timed-out Vitest worker) cannot stop its broker. Each broker
 * dir records its owner; the next start kills brokers whose owner is gone, and only those: the
 * broker's command line must name that very dir's config.
 */
function reapOrphans(): void {
  let entries: string[];
  try {
    entries = readdirSync(tmpdir()).filter((name) => name.startsWith('mosquitto-'));
  } catch {
    return;
  }
  for (const name of entries) {
    const dir = join(tmpdir(), name);
    let owner: { ownerPid: number; brokerPid: number };
    try {
      owner = JSON.parse(readFileSync(join(dir, OWNER_FILE), 'utf8'));
    } catch {
      continue;
    }
    if (isAlive(owner.ownerPid)) continue;
    try {
      const cmdline = readFileSync(`/proc/${owner.brokerPid}/cmdline`, 'utf8');
      if (cmdline.includes(join(dir, 'mosquitto.conf'))) process.kill(owner.brokerPid, 'SIGKILL');
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A free TCP port on 127.0.0.1 (closed again before returning: bind it promptly). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Root-started Mosquitto drops to user `mosquitto`: it must read its files and write dynsec's. */
function brokerOwner(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'mosquitto']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'mosquitto']).toString().trim());
    return { uid, gid };
  } catch {
    return undefined;
  }
}

function handOver(dir: string): void {
  const owner = brokerOwner();
  chmodSync(dir, 0o755);
  if (!owner) return;
  chownSync(dir, owner.uid, owner.gid);
  for (const name of readdirSync(dir)) chownSync(join(dir, name), owner.uid, owner.gid);
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Starts a Mosquitto broker for a test. Always pair with `await broker.stop()` (e.g. in `afterAll`). */
export async function startMosquitto(options: StartMosquittoOptions = {}): Promise<MosquittoHandle> {
  installExitHook();
  reapOrphans();
  const authMode = options.auth ?? 'anonymous';
  const dir = mkdtempSync(join(tmpdir(), 'mosquitto-'));
  const port = await freePort();
  const wsPort = options.websockets === false ? undefined : await freePort();
  const confPath = join(dir, 'mosquitto.conf');

  let auth: MosquittoAuthConfig;
  let admin: MosquittoHandle['admin'];
  if (authMode === 'anonymous') {
    auth = { kind: 'anonymous' };
  } else if (authMode === 'dynsec') {
    const configFile = join(dir, 'dynsec.json');
    admin = { username: 'dynsec:admin', password: randomBytes(18).toString('base64url') };
    execFileSync(MOSQUITTO_CTRL_BIN, ['dynsec', 'init', configFile, admin.username, admin.password], { stdio: 'pipe' });
    auth = { kind: 'dynsec', configFile, pluginPath: existsSync(DEFAULT_DYNSEC_PLUGIN_PATH) ? DEFAULT_DYNSEC_PLUGIN_PATH : undefined };
  } else {
    const passwordFile = join(dir, 'passwords');
    const aclFile = join(dir, 'acl');
    writeFileSync(passwordFile, '');
    for (const [user, password] of Object.entries(authMode.passwords)) {
      execFileSync('/usr/bin/mosquitto_passwd', ['-b', passwordFile, user, password], { stdio: 'pipe' });
    }
    writeFileSync(aclFile, authMode.acl);
    auth = { kind: 'acl', passwordFile, aclFile };
  }

  writeFileSync(
    confPath,
    createMosquittoConf({
      port,
      wsPort,
      auth,
      maxPacketSize: options.maxPacketSize,
      maxQos: options.maxQos ?? (authMode === 'anonymous' ? 2 : 1),
      persistenceDirectory: options.persistence ? dir : undefined,
      extra: options.extra,
    }),
  );
  handOver(dir);

  let child: ChildProcess | undefined;
  let output = '';
  let stopped = false;

  const launch = async (): Promise<void> => {
    const proc = spawn(MOSQUITTO_BIN, ['-c', confPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    running.add(proc);
    proc.stdout?.on('data', (data: Buffer) => (output += data.toString()));
    proc.stderr?.on('data', (data: Buffer) => (output += data.toString()));
    proc.once('exit', () => running.delete(proc));
    writeFileSync(join(dir, OWNER_FILE), JSON.stringify({ ownerPid: process.pid, brokerPid: proc.pid }));
    const deadline = Date.now() + (options.startTimeoutMs ?? 10_000);
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`mosquitto exited during start-up:\n${output}`);
      const ready = (await canConnect(port)) && (wsPort === undefined || (await canConnect(wsPort)));
      if (ready) return;
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`mosquitto did not open its ports in time:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };

  const halt = async (signal: NodeJS.Signals): Promise<void> => {
    if (!child) return;
    const proc = child;
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    await waitForExit(proc, 5_000);
  };

  try {
    await launch();
  } catch (error) {
    await halt('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  return {
    mqttUrl: `mqtt://127.0.0.1:${port}`,
    wsUrl: wsPort === undefined ? '' : `ws://127.0.0.1:${wsPort}`,
    port,
    wsPort,
    get pid() {
      return child?.pid ?? -1;
    },
    dir,
    admin,
    logs: () => output,
    async stop() {
      if (stopped) return;
      stopped = true;
      await halt('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
    async kill() {
      await halt('SIGKILL');
    },
    async restart() {
      if (stopped) throw new Error('mosquitto harness: restart() after stop()');
      await halt('SIGKILL');
      await launch();
    },
  };
}
