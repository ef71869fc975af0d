/**
 * Benchmark: capacity per server core. Everything server-side (broker(s), Redis, the worker-like
 * publisher, the AI SDK servers) is pinned to core 0 with `taskset`; the subscribers (one cheap
 * client per chat: raw MQTT-over-WebSocket frames via mqtt-packet, raw SSE lines, raw WebSocket
 * frames) are pinned to core 1.
 *
 * For each contender: CPU per delivered token on the server core (broker and publishing worker
 * counted separately, from /proc/PID/stat), and the capacity: the largest number of concurrent
 * chats at 50 tok/s with zero loss and p99 token latency (from when each token was due) under
 * 50 ms, found by doubling from 100 chats and then bisecting twice. The harness's own CPU is
 * reported to show it was not the bottleneck.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startAedesCluster, type AedesCluster } from '../../test/helpers/aedes-cluster.js';
import { startMosquitto, type MosquittoHandle } from '../../test/helpers/mosquitto.js';
import { startRabbitCluster, type RabbitCluster } from '../../test/helpers/rabbitmq-cluster.js';
import { fmt, summarize, table, type Summary } from '../lib/stats.js';
import type { SuiteContext, SuiteResult } from '../lib/suite.js';
import type { CapacityMessage, ServerReport, SubscribeReport, SubscriberKind } from './capacity-load.js';

const here = dirname(fileURLToPath(import.meta.url));
const LOAD_SOURCE = join(here, 'capacity-load.ts');
/**
 * The load script compiled once per run: `--import tsx` compiles on every start, seconds per
 * child on a busy box, times two children per trial. Kept under node_modules so its bare imports
 * resolve from the project.
 */
const LOAD = join(here, '../../node_modules/.cache/ai-chat-kit-bench/capacity-load.mjs');

/** Compiles the load script (see LOAD). */
export async function compileLoad(): Promise<void> {
  mkdirSync(dirname(LOAD), { recursive: true });
  await build({ entryPoints: [LOAD_SOURCE], outfile: LOAD, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'error' });
}
/** Tokens per second per chat. */
export const RATE = 50;
/** A trial passes with p99 token latency under this, and nothing lost. */
export const P99_BUDGET_MS = 50;
/** The core under test. */
export const SERVER_CORE = '0';
/** The load generators' core. */
export const LOAD_CORE = '1';

/** A contender's server side, started once and reused by every trial. */
export interface Deployment {
  kind: SubscriberKind;
  /** URLs the subscribers connect to (chat i uses urls[i % n]); AI servers get theirs per trial. */
  subscriberUrls: string[];
  /** MQTT contenders: where the publishers connect (connection j uses urls[j % n]). */
  publisherUrls?: string[];
  adaptive?: boolean;
  /** AI SDK contenders: the server role started per trial. */
  serverRole?: 'sse-server' | 'ai-ws-server';
  /** Processes counted as "broker" CPU. */
  brokerPids(): number[];
  stop(): Promise<void>;
}

interface Contender {
  name: string;
  deploy(): Promise<Deployment>;
}

/** One trial's outcome. */
export interface Trial {
  contender: string;
  chats: number;
  pass: boolean;
  lost: number;
  latency: Summary;
  brokerUsPerToken: number;
  workerUsPerToken: number;
  /** Broker + worker CPU, percent of the one server core. */
  serverCorePercent: number;
  /** Subscriber process CPU, percent of the load core. */
  harnessCorePercent: number;
  messagesPerToken: number;
  maxWindowMs: number;
  errors: string[];
}

/** utime + stime of a process and all its threads, seconds (Linux, USER_HZ 100); NaN once it is gone. */
function procCpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // A zombie (exited, not yet reaped) reads as state Z with its times gone: not a reading.
    if (fields[0] === 'Z') return Number.NaN;
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds used since `before`; NaN when either reading failed or went backwards (a process gone). */
function cpuUsed(now: number, before: number): number {
  return now >= before ? now - before : Number.NaN;
}

/**
 * Scheduling priority of every measured process (server and load), `nice` values. On a machine
 * shared with other work, a pinned core still runs everyone else's processes too, and their load,
 * not the product, would set the latency. `BENCH_CAPACITY_NICE=0` measures without it; raising
 * priority needs root (without it the processes keep their default priority).
 */
const NICE = process.env.BENCH_CAPACITY_NICE ?? '-10';

/** Pins a running process, every thread, to `core`, at the benchmark's priority. */
export function pin(pid: number, core: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', core, String(pid)], { stdio: 'ignore' });
  try {
    execFileSync('renice', ['-n', NICE, '-p', String(pid)], { stdio: 'ignore' });
  } catch {
    // not permitted: measured at default priority
  }
}

/** A load child pinned to `core`; `next()` waits for its next IPC message. Killed after `timeoutMs`. */
function child(core: string, timeoutMs: number) {
  const proc: ChildProcess = spawn('taskset', ['-c', core, process.execPath, LOAD], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  pin(proc.pid!, core);
  const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
  proc.once('exit', () => clearTimeout(timer));
  return {
    pid: proc.pid!,
    send: (message: CapacityMessage) => proc.send(message),
    kill: () => proc.kill('SIGKILL'),
    next<T>(): Promise<T> {
      return new Promise((resolve, reject) => {
        const onExit = (code: number | null) => reject(new Error(`capacity load child exited (${code}) before reporting`));
        proc.once('exit', onExit);
        proc.once('message', (message) => {
          proc.off('exit', onExit);
          const m = message as T & { error?: string };
          if (m.error) reject(new Error(m.error));
          else resolve(m);
        });
      });
    },
  };
}

/**
 * One trial: `chats` chats at RATE tok/s for `seconds`. The publishing worker (or AI SDK server)
 * runs on `serverCore` (the scale-out suite moves it off the brokers' core).
 */
export async function trial(name: string, d: Deployment, chats: number, seconds: number, serverCore = SERVER_CORE): Promise<Trial> {
  const base = { rate: RATE, seconds, chats };
  const server = child(serverCore, seconds * 1000 + 120_000);
  let subscriberUrls = d.subscriberUrls;
  if (d.publisherUrls) {
    const ready = server.next<{ ready: true }>();
    server.send({ role: 'mqtt-publish', urls: d.publisherUrls, adaptive: !!d.adaptive, ...base });
    await ready;
  } else {
    const ready = server.next<{ ready: true; port: number }>();
    server.send({ role: d.serverRole!, ...base });
    subscriberUrls = [`http://127.0.0.1:${(await ready).port}`];
  }
  const subscriber = child(LOAD_CORE, seconds * 1000 + 120_000);
  const subscribed = subscriber.next<{ ready: true }>();
  subscriber.send({ role: 'subscribe', kind: d.kind, urls: subscriberUrls, ...base });
  await subscribed;

  const brokerPids = d.brokerPids();
  const brokerCpu = () => brokerPids.reduce((sum, pid) => sum + procCpuSeconds(pid), 0);
  // Far enough ahead that both children have the message before the first token is due.
  const startAt = performance.timeOrigin + performance.now() + 1_000;
  const before = { broker: brokerCpu(), worker: procCpuSeconds(server.pid), wall: startAt };
  const subReport = subscriber.next<SubscribeReport>();
  const serverReport = d.publisherUrls ? server.next<ServerReport>() : Promise.resolve<ServerReport>({ errors: [] });
  server.send({ go: true, startAt });
  subscriber.send({ go: true, startAt });
  // CPU is read while the subscriber's last report is on its way: after the turn, before teardown.
  const sub = await subReport;
  const wall = (performance.timeOrigin + performance.now() - before.wall) / 1000;
  const brokerUsed = cpuUsed(brokerCpu(), before.broker);
  const serverUsed = cpuUsed(procCpuSeconds(server.pid), before.worker);
  const pub = await serverReport.catch((error: unknown): ServerReport => ({ errors: [String(error)] }));
  // Publishers and subscribers exit right after their report: they measure themselves from the go signal.
  const used = { broker: brokerUsed, worker: pub.cpuSecondsSinceGo ?? serverUsed, harness: sub.cpuSecondsSinceGo };
  // A broker that died mid-trial reads as 0 CPU afterwards: say so instead of a negative share.
  for (const pid of brokerPids) if (!existsSync(`/proc/${pid}`)) pub.errors.push(`broker process ${pid} exited during the trial`);
  for (const [process, cpu] of Object.entries(used)) if (Number.isNaN(cpu)) pub.errors.push(`${process} CPU not readable after the trial (the process had exited): its share is not reported`);
  server.kill();
  const expected = chats * Math.round(RATE * seconds);
  const latency = summarize(sub.latencies);
  const lost = expected - sub.received;
  const perToken = (cpu: number) => (sub.received > 0 ? (cpu / sub.received) * 1e6 : Number.NaN);
  return {
    contender: name,
    chats,
    pass: lost === 0 && latency.p99 < P99_BUDGET_MS && brokerPids.every((pid) => existsSync(`/proc/${pid}`)),
    lost,
    latency,
    brokerUsPerToken: perToken(used.broker),
    workerUsPerToken: perToken(used.worker),
    serverCorePercent: ((used.broker + used.worker) / wall) * 100,
    harnessCorePercent: (used.harness / wall) * 100,
    messagesPerToken: pub.messages !== undefined && sub.received > 0 ? pub.messages / sub.received : Number.NaN,
    maxWindowMs: pub.maxWindowMs ?? Number.NaN,
    errors: [...sub.errors, ...pub.errors],
  };
}

/** Where the capacity search starts, how far it doubles, and how many bisection steps follow. */
export interface CapacitySearch {
  start: number;
  max: number;
  bisectSteps: number;
  /** See `trial`. */
  serverCore?: string;
  /**
   * Run a failed trial once more and count it passed if that passes: one stall (a throttled
   * period, a GC) would otherwise set a small capacity by itself. Both attempts are reported.
   */
  retryFailed?: boolean;
}

/** Doubling from `search.start`, then bisection steps between the last pass and the first failure. */
export async function capacity(name: string, d: Deployment, seconds: number, search: CapacitySearch, log: (m: string) => void, trials: Trial[]): Promise<number> {
  const attemptOnce = async (chats: number, attempt: number) => {
    const t = await trial(name, d, chats, seconds, search.serverCore).catch((error: unknown): Trial => ({ contender: name, chats, pass: false, lost: Number.NaN, latency: summarize([]), brokerUsPerToken: Number.NaN, workerUsPerToken: Number.NaN, serverCorePercent: Number.NaN, harnessCorePercent: Number.NaN, messagesPerToken: Number.NaN, maxWindowMs: Number.NaN, errors: [String(error)] }));
    trials.push(t);
    log(`capacity: ${name} ${chats} chats${attempt > 0 ? ' (again)' : ''}: ${t.pass ? 'pass' : 'FAIL'} lost ${t.lost} p50 ${fmt(t.latency.p50)} p99 ${fmt(t.latency.p99)} ms; server core ${fmt(t.serverCorePercent, 0)}% harness core ${fmt(t.harnessCorePercent, 0)}%${t.errors.length ? ` errors: ${t.errors.join('; ').slice(0, 300)}` : ''}`);
    return t.pass;
  };
  const run = async (chats: number) => (await attemptOnce(chats, 0)) || (!!search.retryFailed && (await attemptOnce(chats, 1)));
  let lo = 0;
  let hi = Number.POSITIVE_INFINITY;
  for (let chats = search.start; chats <= search.max; chats *= 2) {
    if (await run(chats)) lo = chats;
    else {
      hi = chats;
      break;
    }
  }
  if (!Number.isFinite(hi)) return lo;
  for (let step = 0; step < search.bisectSteps; step++) {
    const mid = Math.round((lo + hi) / 2);
    if (mid === lo || mid === hi) break;
    if (await run(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

function pinned<T extends { pid: number }>(handle: T): T {
  pin(handle.pid, SERVER_CORE);
  return handle;
}

const CONTENDERS: Contender[] = [
  {
    name: 'mqtt-aedes',
    async deploy() {
      const aedes: AedesCluster = await startAedesCluster({ nodes: 1, redis: false });
      pinned(aedes.nodes[0]);
      return { kind: 'mqtt-ws', subscriberUrls: [aedes.nodes[0].wsUrl], publisherUrls: [aedes.nodes[0].mqttUrl], brokerPids: () => [aedes.nodes[0].pid], stop: () => aedes.stop() };
    },
  },
  {
    name: 'mqtt-aedes + adaptive coalescing',
    async deploy() {
      const aedes: AedesCluster = await startAedesCluster({ nodes: 1, redis: false });
      pinned(aedes.nodes[0]);
      return { kind: 'mqtt-ws', adaptive: true, subscriberUrls: [aedes.nodes[0].wsUrl], publisherUrls: [aedes.nodes[0].mqttUrl], brokerPids: () => [aedes.nodes[0].pid], stop: () => aedes.stop() };
    },
  },
  {
    name: 'mqtt-aedes cluster x2 (+ Redis, same core)',
    async deploy() {
      const cluster: AedesCluster = await startAedesCluster({ nodes: 2 });
      for (const node of cluster.nodes) pinned(node);
      pin(cluster.redis!.pid, SERVER_CORE);
      const urls = (key: 'wsUrl' | 'mqttUrl') => cluster.nodes.map((n) => n[key]);
      return { kind: 'mqtt-ws', subscriberUrls: urls('wsUrl'), publisherUrls: urls('mqttUrl').reverse(), brokerPids: () => [...cluster.nodes.map((n) => n.pid), cluster.redis!.pid], stop: () => cluster.stop() };
    },
  },
  {
    name: 'mqtt-mosquitto',
    async deploy() {
      const mosquitto: MosquittoHandle = pinned(await startMosquitto({ auth: 'anonymous' }));
      return { kind: 'mqtt-ws', subscriberUrls: [mosquitto.wsUrl], publisherUrls: [mosquitto.mqttUrl], brokerPids: () => [mosquitto.pid], stop: () => mosquitto.stop() };
    },
  },
  {
    name: 'mqtt-mosquitto + adaptive coalescing',
    async deploy() {
      const mosquitto: MosquittoHandle = pinned(await startMosquitto({ auth: 'anonymous' }));
      return { kind: 'mqtt-ws', adaptive: true, subscriberUrls: [mosquitto.wsUrl], publisherUrls: [mosquitto.mqttUrl], brokerPids: () => [mosquitto.pid], stop: () => mosquitto.stop() };
    },
  },
  {
    name: 'mqtt-rabbitmq (1 node)',
    async deploy() {
      const rabbit: RabbitCluster = await startRabbitCluster({ nodes: 1 });
      pinned(rabbit.nodes[0]);
      return { kind: 'mqtt-ws', subscriberUrls: [rabbit.nodes[0].wsUrl], publisherUrls: [rabbit.nodes[0].mqttUrl], brokerPids: () => [rabbit.nodes[0].pid], stop: () => rabbit.stop() };
    },
  },
  { name: 'ai-sse', deploy: async () => ({ kind: 'sse', serverRole: 'sse-server', subscriberUrls: [], brokerPids: () => [], stop: async () => undefined }) },
  { name: 'ai-websocket', deploy: async () => ({ kind: 'ai-ws', serverRole: 'ai-ws-server', subscriberUrls: [], brokerPids: () => [], stop: async () => undefined }) },
];

export async function runCapacity(ctx: SuiteContext): Promise<SuiteResult> {
  const seconds = ctx.quick ? 2 : 3;
  const max = ctx.quick ? 800 : 3200;
  const only = process.env.BENCH_CAPACITY_ONLY?.split(',');
  await compileLoad();
  const trials: Trial[] = [];
  const capacities: { contender: string; chats: number }[] = [];
  for (const contender of CONTENDERS.filter((c) => !only || only.some((o) => c.name.startsWith(o)))) {
    let deployment: Deployment | undefined;
    try {
      deployment = await contender.deploy();
      capacities.push({ contender: contender.name, chats: await capacity(contender.name, deployment, seconds, { start: 100, max, bisectSteps: 2 }, ctx.log, trials) });
    } catch (error) {
      ctx.log(`capacity: ${contender.name} could not run: ${String(error)}`);
      capacities.push({ contender: contender.name, chats: Number.NaN });
    } finally {
      await deployment?.stop();
    }
  }
  // Cost per token side by side: every contender at the same load (its 100-chat trial).
  const reference = (name: string) => trials.find((t) => t.contender === name && t.chats === 100);
  const best = (name: string, chats: number) => trials.find((t) => t.contender === name && t.chats === chats);
  const costRows = capacities.map(({ contender }) => {
    const t = reference(contender);
    return [contender, fmt(t?.brokerUsPerToken ?? Number.NaN, 1), fmt(t?.workerUsPerToken ?? Number.NaN, 1), fmt((t?.brokerUsPerToken ?? 0) + (t?.workerUsPerToken ?? Number.NaN), 1), fmt(t?.messagesPerToken ?? Number.NaN, 2), fmt(t?.latency.p50 ?? Number.NaN), fmt(t?.harnessCorePercent ?? Number.NaN, 0)];
  });
  const capacityRows = capacities.map(({ contender, chats }) => {
    const t = best(contender, chats);
    const fewest = Math.min(...trials.filter((x) => x.contender === contender).map((x) => x.chats));
    return [contender, Number.isFinite(chats) ? (chats === 0 ? `< ${fewest} (none passed)` : String(chats)) : 'did not run', t ? fmt(t.latency.p50) : '–', t ? fmt(t.latency.p99) : '–', t ? fmt(t.serverCorePercent, 0) : '–', t ? fmt(t.harnessCorePercent, 0) : '–', t && Number.isFinite(t.maxWindowMs) ? fmt(t.maxWindowMs, 0) : '–'];
  });
  return {
    tables: [
      {
        title: `Capacity: concurrent chats at ${RATE} tok/s one server core holds with zero loss and p99 < ${P99_BUDGET_MS} ms (${seconds} s turns; server on core ${SERVER_CORE}, subscribers on core ${LOAD_CORE})`,
        body: table(['contender', 'capacity (chats)', 'p50 ms', 'p99 ms', 'server core %', 'harness core %', 'max merge window ms'], capacityRows),
      },
      {
        title: `Server CPU per delivered token at 100 chats × ${RATE} tok/s (µs; broker and publishing worker measured separately)`,
        body: table(['contender', 'broker µs/token', 'worker µs/token', 'total µs/token', 'messages/token', 'p50 ms', 'harness core %'], costRows),
      },
      {
        title: 'Capacity trials',
        body: table(
          ['contender', 'chats', 'result', 'lost', 'p50 ms', 'p99 ms', 'server core %', 'harness core %'],
          trials.map((t) => [t.contender, String(t.chats), t.pass ? 'pass' : 'FAIL', String(t.lost), fmt(t.latency.p50), fmt(t.latency.p99), fmt(t.serverCorePercent, 0), fmt(t.harnessCorePercent, 0)]),
        ),
      },
    ],
    data: { rate: RATE, seconds, p99BudgetMs: P99_BUDGET_MS, capacities, trials: trials.map((t) => ({ ...t, errors: t.errors.slice(0, 3) })) },
  };
}
