/**
 * A RabbitMQ cluster on one machine for tests (Debian's rabbitmq-server 3.10): N nodes with
 * distinct node names and free 127.0.0.1 ports (AMQP, distribution, MQTT, Web MQTT), each with its
 * own RABBITMQ_MNESIA_BASE / LOG_BASE in one temp dir, one shared Erlang cookie, and the
 * rabbitmq_mqtt + rabbitmq_web_mqtt plugins. Nodes find each other at first boot through
 * classic-config peer discovery; the harness then checks with `rabbitmqctl cluster_status` that
 * they really formed one cluster.
 *
 * A node runs the Erlang VM directly (no wrapper shell), so `kill()` is a real SIGKILL of the
 * broker. A killed node restarts with its data and rejoins; all nodes killed restart together.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { freePort } from './mosquitto.js';
import type { TestCluster, TestClusterNode } from './test-cluster.js';

export const RABBITMQ_BIN_DIR = '/usr/lib/rabbitmq/bin';

export interface RabbitCluster extends TestCluster {
  readonly dir: string;
  /** `rabbitmqctl` against one node; resolves with stdout. */
  ctl(node: number, args: string[], timeoutMs?: number): Promise<string>;
}

export interface RabbitClusterOptions {
  nodes?: number;
  /** Per node boot deadline, ms. Default 90 000 (a loaded 2-core box boots a node in 10-30 s). */
  startTimeoutMs?: number;
  /** Wraps the broker command, e.g. `taskset -c 0` for the benchmark. */
  wrap?: (command: string, args: string[]) => [string, string[]];
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

/**
 * A node's first boot. Its ports were free when the cluster was made, but it binds them seconds
 * later, and a test running in parallel may take one in between (seen once: `eaddrinuse` on the
 * AMQP port): then it boots again on fresh ports, which it keeps for its later restarts.
 */
async function firstBoot(node: RabbitNode): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await node.start();
    } catch (error) {
      if (attempt >= 3 || !/eaddrinuse/.test(node.logs())) throw error;
      await node.kill();
      Object.assign(node.ports, { amqp: await freePort(), dist: await freePort(), mqtt: await freePort(), webMqtt: await freePort() });
    }
  }
}

export async function startRabbitCluster(options: RabbitClusterOptions = {}): Promise<RabbitCluster> {
  const count = options.nodes ?? 3;
  const dir = mkdtempSync(join(tmpdir(), 'rabbitmq-'));
  const home = join(dir, 'home');
  mkdirSync(home);
  // One cookie for every node and for rabbitmqctl: Erlang distribution authenticates with it.
  writeFileSync(join(home, '.erlang.cookie'), randomBytes(20).toString('hex'));
  chmodSync(join(home, '.erlang.cookie'), 0o400);
  writeFileSync(join(dir, 'enabled_plugins'), '[rabbitmq_mqtt,rabbitmq_web_mqtt].\n');
  const tag = randomBytes(3).toString('hex');
  const names = Array.from({ length: count }, (_, i) => `csk${tag}n${i}@localhost`);
  const nodes: RabbitNode[] = [];
  for (let i = 0; i < count; i++) {
    const ports = { amqp: await freePort(), dist: await freePort(), mqtt: await freePort(), webMqtt: await freePort() };
    nodes.push(new RabbitNode(names[i], dir, home, ports, names, options));
  }
  const cluster: RabbitCluster = {
    kind: 'rabbitmq',
    dir,
    nodes,
    ctl: (node, args, timeoutMs) => rabbitmqctl(home, names[node], args, timeoutMs),
    stop: once(async () => {
      await Promise.all(nodes.map((n) => n.stop()));
      rmSync(dir, { recursive: true, force: true });
    }),
  };
  try {
    // The first node boots alone and forms the cluster; the others then join it at their first boot.
    await firstBoot(nodes[0]);
    await Promise.all(nodes.slice(1).map(firstBoot));
    const status = JSON.parse(await cluster.ctl(0, ['cluster_status', '--formatter', 'json'])) as { running_nodes: string[] };
    const missing = names.filter((name) => !status.running_nodes.includes(name));
    if (missing.length > 0) throw new Error(`RabbitMQ nodes did not join one cluster: ${missing.join(', ')} missing from ${status.running_nodes.join(', ')}`);
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}

class RabbitNode implements TestClusterNode {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private output = '';

  constructor(
    readonly name: string,
    private readonly dir: string,
    private readonly home: string,
    readonly ports: { amqp: number; dist: number; mqtt: number; webMqtt: number },
    private readonly peers: string[],
    private readonly options: RabbitClusterOptions,
  ) {}

  get mqttUrl(): string {
    return `mqtt://127.0.0.1:${this.ports.mqtt}`;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.ports.webMqtt}/ws`;
  }

  get pid(): number {
    return this.alive ? this.child!.pid! : -1;
  }

  get alive(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  logs(): string {
    return this.output;
  }

  private writeConfig(): string {
    const base = join(this.dir, this.name.split('@')[0]);
    mkdirSync(base, { recursive: true });
    const conf = [
      `listeners.tcp.default = 127.0.0.1:${this.ports.amqp}`,
      `mqtt.listeners.tcp.default = 127.0.0.1:${this.ports.mqtt}`,
      `web_mqtt.tcp.ip = 127.0.0.1`,
      `web_mqtt.tcp.port = ${this.ports.webMqtt}`,
      // Anonymous MQTT connects as guest; guest may connect from 127.0.0.1 only (the default).
      'mqtt.allow_anonymous = true',
      'cluster_formation.peer_discovery_backend = classic_config',
      ...this.peers.map((peer, i) => `cluster_formation.classic_config.nodes.${i + 1} = ${peer}`),
      // Fail fast in tests instead of waiting minutes for a peer that will not come.
      'mnesia_table_loading_retry_limit = 20',
      'mnesia_table_loading_retry_timeout = 5000',
      'log.console = true',
      'log.console.level = info',
      'log.file = false',
    ];
    writeFileSync(join(base, 'rabbitmq.conf'), `${conf.join('\n')}\n`);
    return base;
  }

  async start(): Promise<void> {
    if (this.alive) return;
    const base = this.writeConfig();
    const env = {
      ...process.env,
      HOME: this.home,
      RABBITMQ_NODENAME: this.name,
      RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
      RABBITMQ_NODE_PORT: String(this.ports.amqp),
      RABBITMQ_DIST_PORT: String(this.ports.dist),
      RABBITMQ_MNESIA_BASE: join(base, 'mnesia'),
      RABBITMQ_LOG_BASE: join(base, 'log'),
      RABBITMQ_CONFIG_FILE: join(base, 'rabbitmq'),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(this.dir, 'enabled_plugins'),
      RABBITMQ_PID_FILE: join(base, 'pid'),
      RABBITMQ_LOGS: '-',
      // exec the VM instead of keeping a signal-forwarding shell: kill() then hits the broker.
      RUNNING_UNDER_SYSTEMD: 'true',
      // One scheduler, no busy-waiting: three nodes share two cores with everything else.
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '+S 1:1 +sbwt none +sbwtdcpu none +sbwtdio none',
    };
    const [command, args] = (this.options.wrap ?? ((c, a) => [c, a]))(join(RABBITMQ_BIN_DIR, 'rabbitmq-server'), []);
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    children.add(child);
    this.output = '';
    child.stdout!.on('data', (data: Buffer) => (this.output += data.toString()));
    child.stderr!.on('data', (data: Buffer) => (this.output += data.toString()));
    this.exited = new Promise((done) => child.once('exit', () => {
      children.delete(child);
      done();
    }));
    const deadline = Date.now() + (this.options.startTimeoutMs ?? 90_000);
    for (;;) {
      if (!this.alive) throw new Error(`RabbitMQ node ${this.name} exited during start-up:\n${this.output.slice(-4_000)}`);
      if (/Server startup complete/.test(this.output) && (await canConnect(this.ports.mqtt)) && (await canConnect(this.ports.webMqtt))) return;
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`RabbitMQ node ${this.name} did not start in time:\n${this.output.slice(-4_000)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async kill(): Promise<void> {
    if (this.alive) this.child!.kill('SIGKILL');
    await this.exited;
  }

  async stop(): Promise<void> {
    if (!this.alive) return this.exited;
    // SIGTERM is an orderly shutdown for the Erlang VM.
    this.child!.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
  }
}

function rabbitmqctl(home: string, node: string, args: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(join(RABBITMQ_BIN_DIR, 'rabbitmqctl'), ['-n', node, ...args], { env: { ...process.env, HOME: home }, timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error) reject(new Error(`rabbitmqctl ${args.join(' ')} failed: ${stderr || error.message}`));
      else resolve(stdout);
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

function once(run: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | null = null;
  return () => (done ??= run());
}
