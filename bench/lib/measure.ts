/**
 * The shared measuring loop of benchmarks 1-3 and 5: for each rate, several repetitions, each
 * repetition running one turn per contender in rotated order, collecting token latencies,
 * client-side wire bytes and (where counted) stream messages.
 */
import type { Contender } from './contenders.js';
import { consume, type TurnSample } from './source.js';
import { rotate, sleep, summarize, type Summary } from './stats.js';
import { bytesReadFrom, installWireCounter } from './wire-bytes.js';

export interface RateRow {
  contender: string;
  rate: number;
  latency: Summary;
  bytesPerToken: number;
  messagesPerSecond: number;
  tokensPerMessage: number;
  tokens: number;
  lost: number;
}

/** Trailing messages (our `complete` and final `status`) are part of a turn's bytes: wait for them. */
const TRAIL_MS = 80;

export const labelOf = (c: Contender) => c.label ?? c.name;

export async function turn(c: Contender, chatId: string, plan: { tokens: number; tokensPerSecond: number }): Promise<TurnSample> {
  const { stream, clock, sentAt } = await c.send(chatId, plan);
  return consume(stream, clock, sentAt);
}

export async function warmUp(contenders: Contender[], chatOf: (c: Contender) => string): Promise<void> {
  installWireCounter();
  for (const c of contenders) for (let i = 0; i < 2; i++) await turn(c, chatOf(c), { tokens: 20, tokensPerSecond: 200 });
}

export async function measureRates(
  contenders: Contender[],
  chatOf: (c: Contender) => string,
  rates: readonly number[],
  options: { reps: number; secondsPerTurn: number; log(m: string): void },
): Promise<RateRow[]> {
  installWireCounter();
  const rows: RateRow[] = [];
  for (const rate of rates) {
    const acc = new Map<Contender, { lat: number[]; bytes: number; tokens: number; lost: number; messages: number; seconds: number }>();
    for (let r = 0; r < options.reps; r++) {
      for (const c of rotate(contenders, r)) {
        const tokens = Math.round(rate * options.secondsPerTurn);
        const bytesBefore = bytesReadFrom(c.clientPort);
        const messagesBefore = c.streamMessages?.() ?? 0;
        const sample = await turn(c, chatOf(c), { tokens, tokensPerSecond: rate });
        await sleep(TRAIL_MS);
        const a = acc.get(c) ?? { lat: [], bytes: 0, tokens: 0, lost: 0, messages: 0, seconds: 0 };
        a.lat.push(...sample.latencies);
        a.bytes += bytesReadFrom(c.clientPort) - bytesBefore;
        a.messages += (c.streamMessages?.() ?? NaN) - messagesBefore;
        a.seconds += (sample.clock.endedAt - sample.clock.startedAt) / 1000;
        a.tokens += tokens;
        a.lost += tokens - sample.received;
        acc.set(c, a);
      }
    }
    for (const c of contenders) {
      const a = acc.get(c)!;
      rows.push({
        contender: labelOf(c),
        rate,
        latency: summarize(a.lat),
        bytesPerToken: a.bytes / a.tokens,
        messagesPerSecond: a.messages / a.seconds,
        tokensPerMessage: a.tokens / a.messages,
        tokens: a.tokens,
        lost: a.lost,
      });
    }
    options.log(`${rate} tok/s done`);
  }
  return rows;
}
