/**
 * Benchmarks 1-3: token latency, bytes per token on the client side of the wire, and time to
 * first token overhead, for our transport (embedded broker, Mosquitto) and the AI SDK's SSE and
 * WebSocket transports, in one run, interleaved (each repetition rotates who goes first).
 */
import { startAiWebSocket, startOurs, startSse, type Contender } from '../lib/contenders.js';
import { labelOf, measureRates, turn, warmUp, type RateRow } from '../lib/measure.js';
import { fmt, rotate, sleep, summarize, table, type Summary } from '../lib/stats.js';
import type { SuiteContext, SuiteResult } from '../lib/suite.js';

export const RATES = [50, 200, 1000] as const;

interface TtftRow {
  contender: string;
  overhead: Summary;
  requestLeg: Summary;
}

export async function runLatency(ctx: SuiteContext): Promise<SuiteResult> {
  const contenders = [
    await startOurs({ broker: 'aedes' }),
    await startOurs({ broker: 'mosquitto' }),
    await startOurs({ broker: 'aedes', compression: true, label: 'mqtt-aedes-deflate' }),
    await startSse(),
    await startAiWebSocket(),
  ];
  const chatOf = (c: Contender) => `chat00000000000${contenders.indexOf(c)}`;
  try {
    await warmUp(contenders, chatOf);
    const rows = await measureRates(contenders, chatOf, RATES, { reps: ctx.quick ? 2 : 4, secondsPerTurn: ctx.quick ? 1.5 : 3, log: (m) => ctx.log(`latency: ${m}`) });
    const ttftRows = await measureTtft(contenders, chatOf, ctx.quick ? 8 : 20);
    return render(rows, ttftRows);
  } finally {
    for (const c of contenders) await c.close();
  }
}

/** Short turns whose model answers at once: what the transport adds before the first token shows. */
export async function measureTtft(contenders: Contender[], chatOf: (c: Contender) => string, reps: number): Promise<TtftRow[]> {
  const overhead = new Map<Contender, number[]>();
  const requestLeg = new Map<Contender, number[]>();
  for (let r = 0; r < reps; r++) {
    for (const c of rotate(contenders, r)) {
      const s = await turn(c, chatOf(c), { tokens: 3, tokensPerSecond: 50 });
      const model = s.clock.firstEmitAt - s.clock.startedAt;
      overhead.set(c, [...(overhead.get(c) ?? []), s.firstAt - s.sentAt - model]);
      requestLeg.set(c, [...(requestLeg.get(c) ?? []), s.clock.startedAt - s.sentAt]);
      await sleep(20);
    }
  }
  return contenders.map((c) => ({ contender: labelOf(c), overhead: summarize(overhead.get(c)!), requestLeg: summarize(requestLeg.get(c)!) }));
}

export function latencyTable(rows: RateRow[], reference = 'ai-sse'): string {
  const ref = (rate: number) => rows.find((r) => r.rate === rate && r.contender === reference)!;
  return table(
    ['transport', 'tok/s', 'p50 ms', 'p99 ms', 'max ms', 'p50 / SSE', 'p99 / SSE', 'lost'],
    rows.map((r) => [r.contender, String(r.rate), r.latency.p50, r.latency.p99, r.latency.max, `${fmt(r.latency.p50 / ref(r.rate).latency.p50)}x`, `${fmt(r.latency.p99 / ref(r.rate).latency.p99)}x`, String(r.lost)]),
  );
}

export function bytesTable(rows: RateRow[], reference = 'ai-sse'): string {
  const ref = (rate: number) => rows.find((r) => r.rate === rate && r.contender === reference)!;
  return table(
    ['transport', 'tok/s', 'bytes/token', 'vs SSE'],
    rows.map((r) => [r.contender, String(r.rate), fmt(r.bytesPerToken, 1), `${fmt(r.bytesPerToken / ref(r.rate).bytesPerToken)}x`]),
  );
}

function render(rows: RateRow[], ttftRows: TtftRow[]): SuiteResult {
  const sseTtft = ttftRows.find((r) => r.contender === 'ai-sse')!.overhead;
  const ttftTable = table(
    ['transport', 'TTFT overhead p50 ms', 'p95 ms', 'max ms', 'p50 / SSE', 'request leg p50 ms'],
    ttftRows.map((r) => [r.contender, r.overhead.p50, r.overhead.p95, r.overhead.max, `${fmt(r.overhead.p50 / sseTtft.p50)}x`, r.requestLeg.p50]),
  );
  return {
    tables: [
      { title: '1. Token latency (server emit → client ReadableStream yields)', body: latencyTable(rows) },
      { title: '2. Bytes per token read by the client (whole turn: headers, framing, status, complete)', body: bytesTable(rows) },
      { title: "3. Time-to-first-token overhead over the model's own first token (request leg = send → model called)", body: ttftTable },
    ],
    data: { rows, ttft: ttftRows },
  };
}
