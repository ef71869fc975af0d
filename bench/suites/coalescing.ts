/**
 * Benchmark 5: the worker's text-delta merge window (0, 16, 40 ms, and the adaptive coalescer) against messages per second,
 * bytes per token and latency, through the embedded broker, with SSE as the reference. Each
 * window gets its own broker and worker (workers on one Aedes would share the turns).
 */
import { startOurs, startSse, type Contender } from '../lib/contenders.js';
import { measureRates, warmUp } from '../lib/measure.js';
import { fmt, table } from '../lib/stats.js';
import type { SuiteContext, SuiteResult } from '../lib/suite.js';
import { measureTtft, RATES } from './latency.js';

export const WINDOWS = [0, 16, 40] as const;

export async function runCoalescing(ctx: SuiteContext): Promise<SuiteResult> {
  const contenders: Contender[] = [];
  for (const w of WINDOWS) contenders.push(await startOurs({ broker: 'aedes', mergeWindowMs: w, countMessages: true, label: `merge ${w} ms` }));
  // The worker's adaptive coalescer: window 0 while the broker keeps up, about one lag under backpressure.
  contenders.push(await startOurs({ broker: 'aedes', adaptiveCoalescing: true, countMessages: true, label: 'adaptive' }));
  contenders.push(await startSse());
  const chatOf = (c: Contender) => `chat00000000000${contenders.indexOf(c)}`;
  try {
    await warmUp(contenders, chatOf);
    const rows = await measureRates(contenders, chatOf, RATES, { reps: ctx.quick ? 2 : 4, secondsPerTurn: ctx.quick ? 1.5 : 3, log: (m) => ctx.log(`coalescing: ${m}`) });
    const ttft = await measureTtft(contenders, chatOf, ctx.quick ? 6 : 15);
    const sse = (rate: number) => rows.find((r) => r.rate === rate && r.contender === 'ai-sse')!;
    const body = table(
      ['variant', 'tok/s', 'msgs/s', 'tokens/msg', 'bytes/token', 'p50 ms', 'p99 ms', 'p50 / SSE', 'bytes / SSE'],
      rows.map((r) => [
        r.contender,
        String(r.rate),
        r.contender === 'ai-sse' ? '–' : fmt(r.messagesPerSecond, 0),
        r.contender === 'ai-sse' ? '–' : fmt(r.tokensPerMessage, 1),
        fmt(r.bytesPerToken, 1),
        r.latency.p50,
        r.latency.p99,
        `${fmt(r.latency.p50 / sse(r.rate).latency.p50)}x`,
        `${fmt(r.bytesPerToken / sse(r.rate).bytesPerToken)}x`,
      ]),
    );
    const ttftBody = table(['variant', 'TTFT overhead p50 ms', 'p95 ms'], ttft.map((t) => [t.contender, t.overhead.p50, t.overhead.p95]));
    return {
      tables: [
        { title: '5. Coalescing: merge window vs messages, bytes and latency (embedded broker)', body },
        { title: '5b. Coalescing: time-to-first-token overhead by merge window', body: ttftBody },
      ],
      data: { rows, ttft },
    };
  } finally {
    for (const c of contenders) await c.close();
  }
}
