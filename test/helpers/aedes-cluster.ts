/**
 * An Aedes cluster for tests: one `redis-server` and N embedded-broker nodes, each in its own
 * process (`aedes-node-process.ts`) on its own free ports, sharing state through Redis.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { startRedis, type RedisHandle } from './redis.js';
import type { TestCluster, TestClusterNode } from './test-cluster.js';

const ENTRY = resolve(import.meta.dirname, 'aedes-node-process.ts');
const ROOT = resolve(import.meta.dirname, '../..');

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

export interface AedesCluster extends TestCluster {
  /** Absent for a single node started with `redis: false`. */
  readonly redis: RedisHandle | undefined;
}

export interface AedesClusterOptions {
  nodes?: number;
  /** `false`: one plain node without Redis (a baseline in its own process). Default true. */
  redis?: boolean;
  /** Extra arguments for `node` before the entry, e.g. `taskset` is applied by the caller instead. */
  wrap?: (command: string, args: string[]) => [string, string[]];
  startTimeoutMs?: number;
}

export async function startAedesCluster(options: AedesClusterOptions = {}): Promise<AedesCluster> {
  if (options.redis === false && (options.nodes ?? 1) !== 1) throw new RangeError('Several Aedes nodes need Redis to share state.');
  const redis = options.redis === false ? undefined : await startRedis();
  const nodes: AedesNode[] = [];
  try {
    for (let i = 0; i < (options.nodes ?? (redis ? 2 : 1)); i++) {
      const node = new AedesNode(`aedes${i}`, redis?.url ?? '-', options);
      await node.start();
      nodes.push(node);
    }
  } catch (error) {
    await Promise.all(nodes.map((n) => n.stop()));
    await redis?.stop();
    throw error;
  }
  let stopped: Promise<void> | null = null;
  return {
    kind: 'aedes-redis',
    redis,
    nodes,
    stop() {
      stopped ??= (async () => {
        await Promise.all(nodes.map((n) => n.stop()));
        await redis?.stop();
      })();
      return stopped;
    },
  };
}

class AedesNode implements TestClusterNode {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private port = 0;
  private wsPort = 0;

  constructor(
    readonly name: string,
    private readonly redisUrl: string,
    private readonly options: AedesClusterOptions,
  ) {}

  get mqttUrl(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.wsPort}/mqtt`;
  }

  get pid(): number {
    return this.alive ? this.child!.pid! : -1;
  }

  get alive(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    if (this.alive) return;
    const [command, args] = (this.options.wrap ?? ((c, a) => [c, a]))(process.execPath, ['--import', 'tsx', ENTRY, this.redisUrl, String(this.port), String(this.wsPort)]);
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT });
    this.child = child;
    children.add(child);
    let stderr = '';
    child.stderr!.on('data', (data: Buffer) => (stderr += data.toString()));
    this.exited = new Promise((done) => child.once('exit', () => {
      children.delete(child);
      done();
    }));
    // tsx compiles the entry on start: slow on a loaded box.
    const timeoutMs = this.options.startTimeoutMs ?? 60_000;
    await new Promise<void>((ready, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${this.name} did not start in ${timeoutMs} ms: ${stderr}`));
      }, timeoutMs);
      void this.exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`${this.name} exited during start-up: ${stderr}`));
      });
      createInterface({ input: child.stdout! }).on('line', (line) => {
        try {
          const message = JSON.parse(line) as { ready?: boolean; port: number; wsPort: number };
          if (!message.ready) return;
          this.port = message.port;
          this.wsPort = message.wsPort;
          clearTimeout(timer);
          ready();
        } catch {
          // not a report line
        }
      });
    });
  }

  async kill(): Promise<void> {
    if (this.alive) this.child!.kill('SIGKILL');
    await this.exited;
  }

  async stop(): Promise<void> {
    if (!this.alive) return this.exited;
    this.child!.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), 5_000);
    await this.exited;
    clearTimeout(timer);
  }
}
