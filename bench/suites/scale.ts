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
import type { LoadParams, LoadReport } from './scale-load.js';

const here = dirname(fileURLToPath(import.meta.url));
const RATE = 50;

interface ScaleRow {
  broker: 'aedes' | 'mosquitto';
  chats: number;
  deliveredTokensPerSecond: number;
  messagesPerSecond: number;
  lost: number;
  duplicates: number;
  latency: Summary;
  brokerCpuPercent: number;
  errors: string[];
}

function runLoad(params: LoadParams, timeoutMs: number): Promise<LoadReport> {
  return new Promise((resolve, reject) => {
    const child = fork(join(here, 'scale-load.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`scale load of ${params.chats} chats did not finish in ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('message', (message) => {
      clearTimeout(timer);
      const m = message as LoadReport & { error?: string };
      if (m.error) reject(new Error(m.error));
      else resolve(m);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`scale load exited with ${code}`));
    });
    child.send(params);
  });
}

/** utime + stime of a process, in seconds (Linux). */
function procCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
}

export async function runScale(ctx: SuiteContext): Promise<SuiteResult> {
  const counts = ctx.quick ? [1, 10, 100, 1000] : [1, 10, 100, 1000];
  const seconds = ctx.quick ? 2 : 4;
  const rows: ScaleRow[] = [];
  for (const chats of counts) {
    for (const kind of ['aedes', 'mosquitto'] as const) {
      const embedded = kind === 'aedes' ? await startEmbeddedBroker({ port: 0, wsPort: 0 }) : undefined;
      const mosquitto = kind === 'mosquitto' ? await startMosquitto({ auth: 'anonymous' }) : undefined;
      const urls = embedded ?? mosquitto!;
      const cpu = () => (embedded ? (process.cpuUsage().user + process.cpuUsage().system) / 1e6 : procCpuSeconds(mosquitto!.pid));
      const cpuBefore = cpu();
      const wallBefore = performance.now();
      try {
        const report = await runLoad({ mqttUrl: urls.mqttUrl, wsUrl: urls.wsUrl, chats, tokensPerSecond: RATE, seconds }, 180_000);
        const cpuSeconds = cpu() - cpuBefore;
        const wallSeconds = (performance.now() - wallBefore) / 1000;
        rows.push({
          broker: kind,
          chats,
          deliveredTokensPerSecond: report.received / report.streamSeconds,
          messagesPerSecond: report.messages / report.streamSeconds,
          lost: report.expected - report.received,
          duplicates: report.duplicates,
          latency: summarize(report.latencies),
          // Connect phase included: it is broker work too. Percent of one core.
          brokerCpuPercent: (cpuSeconds / wallSeconds) * 100,
          errors: report.errors,
        });
        ctx.log(`scale: ${kind} ${chats} chats: ${report.received}/${report.expected} tokens, p99 ${fmt(summarize(report.latencies).p99)} ms`);
      } catch (error) {
        ctx.log(`scale: ${kind} ${chats} chats failed: ${String(error)}`);
        rows.push({ broker: kind, chats, deliveredTokensPerSecond: NaN, messagesPerSecond: NaN, lost: NaN, duplicates: NaN, latency: summarize([]), brokerCpuPercent: NaN, errors: [String(error)] });
      } finally {
        await embedded?.close();
        await mosquitto?.stop();
      }
    }
  }
  const body = table(
    ['broker', 'chats', 'delivered tok/s', 'msgs/s', 'lost', 'p50 ms', 'p99 ms', 'max ms', 'broker CPU % of 1 core'],
    rows.map((r) => [r.broker, String(r.chats), fmt(r.deliveredTokensPerSecond, 0), fmt(r.messagesPerSecond, 0), String(r.lost), r.latency.p50, r.latency.p99, r.latency.max, fmt(r.brokerCpuPercent, 0)]),
  );
  return {
    tables: [{ title: `4. Scale: concurrent chats at ${RATE} tok/s each (${seconds} s turns; publishers over TCP, one WebSocket subscriber per chat)`, body }],
    data: { rate: RATE, seconds, rows: rows.map((r) => ({ ...r, latency: r.latency })) },
  };
}
