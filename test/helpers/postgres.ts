/**
 * Test harness for a real PostgreSQL (Debian's `postgresql`, 15 on this machine): `initdb` a cluster in a temp dir,
 * start it with `pg_ctl` on a free 127.0.0.1 port (its unix socket in the same dir), and stop it.
 * initdb refuses to run as root, so as root every command runs as the `postgres` system user
 * (`runuser -u postgres --`) and the temp dir is handed to that user.
 *
 * The cluster is tuned for tests, not durability (fsync off). `stop()` is final. A process-exit
 * hook stops what a failed test left running, and clusters orphaned by a test process that was
 * killed outright are stopped at the next start.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './mosquitto.js';

/** `POSTGRES_BIN_DIR`, else the newest Debian PostgreSQL under /usr/lib/postgresql (15 here). */
export const POSTGRES_BIN_DIR = process.env.POSTGRES_BIN_DIR ?? debianBinDir();

function debianBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, 'bin', 'initdb'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0] ?? '15';
  return join(root, newest, 'bin');
}
const DIR_PREFIX = 'pg-test-';
const OWNER_FILE = 'harness.json';
const run = promisify(execFile);

export interface PostgresHandle {
  /** `postgres://postgres@127.0.0.1:{port}/postgres` (trust authentication on 127.0.0.1). */
  connectionString: string;
  port: number;
  /** Temp dir: `data/` (the cluster), the unix socket and `postgres.log`. */
  dir: string;
  /** The server log so far. */
  logs(): string;
  /** Stops the server (fast shutdown) and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

const asRoot = () => process.getuid?.() === 0;

/** argv running a PostgreSQL binary, as the `postgres` user when we are root. */
function command(bin: string, args: string[]): [string, string[]] {
  const path = join(POSTGRES_BIN_DIR, bin);
  return asRoot() ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, args];
}

function stopSync(dataDir: string): void {
  const [file, args] = command('pg_ctl', ['stop', '-D', dataDir, '-m', 'immediate', '-w', '-t', '10']);
  try {
    execFileSync(file, args, { stdio: 'ignore' });
  } catch {
    // not running
  }
}

const runningDirs = new Set<string>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const dir of runningDirs) stopSync(join(dir, 'data'));
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops and removes clusters whose owning test process is gone (only dirs this harness made). */
function reapOrphans(): void {
  let names: string[];
  try {
    names = readdirSync(tmpdir()).filter((name) => name.startsWith(DIR_PREFIX));
  } catch {
    return;
  }
  for (const name of names) {
    const dir = join(tmpdir(), name);
    let owner: { ownerPid: number };
    try {
      owner = JSON.parse(readFileSync(join(dir, OWNER_FILE), 'utf8'));
    } catch {
      continue;
    }
    if (isAlive(owner.ownerPid)) continue;
    if (existsSync(join(dir, 'data', 'postmaster.pid'))) stopSync(join(dir, 'data'));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Starts a PostgreSQL cluster for a test. Always pair with `await pg.stop()` (e.g. in `afterAll`). */
export async function startPostgres(options: { startTimeoutSeconds?: number } = {}): Promise<PostgresHandle> {
  installExitHook();
  reapOrphans();
  const dir = mkdtempSync(join(tmpdir(), DIR_PREFIX));
  writeFileSync(join(dir, OWNER_FILE), JSON.stringify({ ownerPid: process.pid }));
  if (asRoot()) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
  }
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'postgres.log');
  const logs = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  let stopped = false;
  try {
    await run(...command('initdb', ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync']));
    const port = await freePort();
    const serverOptions = [`-p ${port}`, `-k ${dir}`, '-c listen_addresses=127.0.0.1', '-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off', '-c max_connections=50'].join(' ');
    runningDirs.add(dir);
    await run(...command('pg_ctl', ['start', '-D', dataDir, '-l', logFile, '-w', '-t', String(options.startTimeoutSeconds ?? 60), '-o', serverOptions]));
    return {
      connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`,
      port,
      dir,
      logs,
      async stop() {
        if (stopped) return;
        stopped = true;
        await run(...command('pg_ctl', ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', '30'])).catch(() => stopSync(dataDir));
        runningDirs.delete(dir);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    const log = logs();
    stopSync(dataDir);
    runningDirs.delete(dir);
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`PostgreSQL did not start: ${error instanceof Error ? error.message : String(error)}\n${log}`);
  }
}
