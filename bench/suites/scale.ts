/**
 * Benchmark 4: 1, 10, 100 and 1 000 concurrent chats at 50 tok/s through one embedded broker
 * (Aedes, in this process) and through Mosquitto: delivered tokens per second, lost tokens,
 * latency, broker CPU. The load runs in a child process (`scale-load.ts`) so this process holds
 * only the broker and `process.cpuUsage()` measures the broker; Mosquitto's CPU comes from
 * /proc/PID/stat. Each run is bounded (connect, one turn per chat, drain deadline, kill timer).
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmbeddedBroker } from '../../src/broker/index.js';
import { startMosquitto } from '../../test/helpers/mosquitto.js';
import { fmt, summarize, table, type Summary } from '../lib/stats.js';
import type { SuiteContext, SuiteResult } from '../lib/suite.js';
import type { LoadMessage, PublishReport, SubscribeReport } from './scale-load.js';

const here = dirname(fileURLToPath(import.meta.url));
const RATE = 50;

interface ScaleRow {
  broker: string;
  chats: number;
  deliveredTokensPerSecond: number;
  messagesPerSecond: number;
  lost: number;
  duplicates: number;
  latency: Summary;
  /** Tokens emitted after the first second: without the burst of 1 000 turns starting at once. */
  steady: Summary;
  brokerCpuPercent: number;
  errors: string[];
}

interface LoadOutcome {
  expected: number;
  received: number;
  duplicates: number;
  messages: number;
  streamSeconds: number;
  latencies: number[];
  errors: string[];
  publisherCpu: number;
  subscriberCpu: number;
  /** Latencies of tokens emitted after the first second (turn start burst excluded). */
  steady: number[];
}

/** Forks one load child; `next()` waits for its next IPC message. Killed after `timeoutMs`. */
function child(timeoutMs: number) {
  // BENCH_PROFILE=dir writes a V8 CPU profile of each load process there (to find hot spots).
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const proc = fork(join(here, 'scale-load.ts'), [], { execArgv: ['--import', 'tsx', ...profile], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
  proc.once('exit', () => clearTimeout(timer));
  return {
    send: (message: LoadMessage) => proc.send(message),
    next<T>(): Promise<T> {
      return new Promise((resolve, reject) => {
        const onExit = (code: number | null) => reject(new Error(`scale load child exited (${code}) before reporting`));
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

async function runLoad(mqttUrl: string, wsUrl: string, chats: number, seconds: number, mergeWindowMs?: number): Promise<LoadOutcome> {
  const subscriber = child(240_000);
  const ready = subscriber.next<{ ready: true }>();
  subscriber.send({ role: 'subscribe', wsUrl, chats });
  await ready;
  const publisher = child(240_000);
  const published = publisher.next<PublishReport>();
  publisher.send({ role: 'publish', mqttUrl, chats, tokensPerSecond: RATE, seconds, ...(mergeWindowMs === undefined ? {} : { mergeWindowMs }) });
  const pub = await published;
  const expectedPerChat = Math.round(RATE * seconds);
  const drained = subscriber.next<SubscribeReport>();
  subscriber.send({ role: 'finish', expectedPerChat, drainMs: 15_000 });
  const sub = await drained;
  const latencies: number[] = [];
  const steady: number[] = [];
  let received = 0;
  let lastArrival = pub.startedAt;
  for (let i = 0; i < chats; i++) {
    const arrivals = sub.arrivals[i];
    received += Math.min(arrivals.length, expectedPerChat);
    for (let k = 0; k < arrivals.length && k < pub.emitted[i].length; k++) {
      latencies.push(arrivals[k] - pub.emitted[i][k]);
      if (pub.emitted[i][k] > pub.startedAt + 1000) steady.push(arrivals[k] - pub.emitted[i][k]);
      if (arrivals[k] > lastArrival) lastArrival = arrivals[k];
    }
  }
  return {
    expected: chats * expectedPerChat,
    received,
    duplicates: sub.duplicates,
    messages: sub.messages,
    streamSeconds: (lastArrival - pub.startedAt) / 1000,
    latencies,
    errors: [...pub.errors, ...sub.errors],
    steady,
    publisherCpu: pub.cpuSeconds,
    subscriberCpu: sub.cpuSeconds,
  };
}

/** utime + stime of a process, in seconds (Linux). */
function procCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
}

export async function runScale(ctx: SuiteContext): Promise<SuiteResult> {
  const counts = process.env.BENCH_SCALE_CHATS ? process.env.BENCH_SCALE_CHATS.split(',').map(Number) : [1, 10, 100, 1000];
  const seconds = ctx.quick ? 2 : 4;
  const rows: ScaleRow[] = [];
  const brokers = (process.env.BENCH_SCALE_BROKERS?.split(',') ?? ['aedes', 'mosquitto']) as ('aedes' | 'mosquitto')[];
  const runs: { chats: number; kind: 'aedes' | 'mosquitto'; merge?: number }[] = counts.flatMap((chats) => brokers.map((kind) => ({ chats, kind })));
  // The default merge window is 0 (latency); under overload a 16 ms window sheds messages instead.
  if (counts.includes(1000)) for (const kind of brokers) runs.push({ chats: 1000, kind, merge: 16 });
  for (const { chats, kind, merge } of runs) {
    {
      const embedded = kind === 'aedes' ? await startEmbeddedBroker({ port: 0, wsPort: 0 }) : undefined;
      const mosquitto = kind === 'mosquitto' ? await startMosquitto({ auth: 'anonymous' }) : undefined;
      const urls = embedded ?? mosquitto!;
      const cpu = () => (embedded ? (process.cpuUsage().user + process.cpuUsage().system) / 1e6 : procCpuSeconds(mosquitto!.pid));
      const cpuBefore = cpu();
      const wallBefore = performance.now();
      try {
        const report = await runLoad(urls.mqttUrl, urls.wsUrl, chats, seconds, merge);
        const cpuSeconds = cpu() - cpuBefore;
        const wallSeconds = (performance.now() - wallBefore) / 1000;
        rows.push({
          broker: merge === undefined ? kind : `${kind}, merge ${merge} ms`,
          chats,
          deliveredTokensPerSecond: report.received / report.streamSeconds,
          messagesPerSecond: report.messages / report.streamSeconds,
          lost: report.expected - report.received,
          duplicates: report.duplicates,
          latency: summarize(report.latencies),
          steady: summarize(report.steady),
          // Connect phase included: it is broker work too. Percent of one core.
          brokerCpuPercent: (cpuSeconds / wallSeconds) * 100,
          errors: report.errors,
        });
        ctx.log(`scale: ${kind}${merge === undefined ? '' : ` merge ${merge}`} ${chats} chats: ${report.received}/${report.expected} tokens, p99 ${fmt(summarize(report.latencies).p99)} ms, steady p50 ${fmt(summarize(report.steady).p50)} p99 ${fmt(summarize(report.steady).p99)}; cpu s: broker ${fmt(cpuSeconds)} pub ${fmt(report.publisherCpu)} sub ${fmt(report.subscriberCpu)}, wall ${fmt(wallSeconds)}`);
      } catch (error) {
        ctx.log(`scale: ${kind} ${chats} chats failed: ${String(error)}`);
        rows.push({ broker: merge === undefined ? kind : `${kind}, merge ${merge} ms`, chats, deliveredTokensPerSecond: NaN, messagesPerSecond: NaN, lost: NaN, duplicates: NaN, latency: summarize([]), steady: summarize([]), brokerCpuPercent: NaN, errors: [String(error)] });
      } finally {
        await embedded?.close();
        await mosquitto?.stop();
      }
    }
  }
  const body = table(
    ['broker', 'chats', 'delivered tok/s', 'msgs/s', 'lost', 'p50 ms', 'p99 ms', 'max ms', 'after 1st s: p50 / p99 ms', 'broker CPU % of 1 core'],
    rows.map((r) => [r.broker, String(r.chats), fmt(r.deliveredTokensPerSecond, 0), fmt(r.messagesPerSecond, 0), String(r.lost), r.latency.p50, r.latency.p99, r.latency.max, `${fmt(r.steady.p50)} / ${fmt(r.steady.p99)}`, fmt(r.brokerCpuPercent, 0)]),
  );
  return {
    tables: [{ title: `4. Scale: concurrent chats at ${RATE} tok/s each (${seconds} s turns; publishers over TCP, one WebSocket subscriber per chat)`, body }],
    data: { rate: RATE, seconds, rows },
  };
}
