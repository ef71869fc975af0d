/**
 * The benchmark's model: a UI message chunk stream that emits text tokens on a fixed schedule
 * (not "sleep between tokens", which drifts) and stamps each token's emit time in a side map,
 * so a client in the same process can compute token latency with `performance.now()`.
 *
 * Tokens are a space and a short English word (~5 bytes, like real LLM tokens), so a client
 * counts tokens by counting spaces even when the transport merged several into one delta.
 */
import type { UIMessageChunk } from 'ai';

/**
 * Word-like tokens from a seeded generator, 4 096 before repeating: longer than any compression
 * window we test, so permessage-deflate sees text about as compressible as prose, not a loop.
 */
const SYLLABLES = ['an', 'ti', 'mo', 'del', 'stre', 'am', 'to', 'ken', 'chat', 'o', 'ver', 'ing', 'the', 're', 'in', 'com', 'pu', 'ter', 'la', 'ly', 'ex', 'per', 'sa', 'ge', 'is', 'un', 'der', 'vo', 'ca', 'na'];
const TOKENS: string[] = (() => {
  let seed = 0x2545f491;
  const next = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const words: string[] = [];
  for (let i = 0; i < 4096; i++) {
    const syllables = 1 + (next(10) < 6 ? 0 : next(10) < 7 ? 1 : 2);
    let word = '';
    for (let k = 0; k < syllables; k++) word += SYLLABLES[next(SYLLABLES.length)];
    words.push(` ${word}`);
  }
  return words;
})();

export function tokenText(index: number): string {
  return TOKENS[index % TOKENS.length];
}

/** Emit times of one turn's tokens, by index; filled as the source emits. */
export class TokenClock {
  readonly emitted: number[] = [];
  startedAt = NaN;
  firstEmitAt = NaN;
  endedAt = NaN;
}

export interface PacedSourceOptions {
  tokens: number;
  tokensPerSecond: number;
  clock: TokenClock;
  /** The model's own time to first token, ms. */
  firstTokenDelayMs?: number;
  signal?: AbortSignal;
}

export function pacedSource(options: PacedSourceOptions): ReadableStream<UIMessageChunk> {
  const { tokens, tokensPerSecond, clock, firstTokenDelayMs = 0, signal } = options;
  const interval = 1000 / tokensPerSecond;
  let timer: ReturnType<typeof setTimeout> | undefined;
  return new ReadableStream<UIMessageChunk>({
    start(controller) {
      clock.startedAt = performance.now();
      controller.enqueue({ type: 'start' });
      controller.enqueue({ type: 'text-start', id: 't0' });
      const begin = clock.startedAt + firstTokenDelayMs;
      let next = 0;
      const tick = () => {
        if (signal?.aborted) return finish();
        const now = performance.now();
        // Catch up on every token whose slot has passed: the schedule, not the timer, sets the rate.
        while (next < tokens && begin + next * interval <= now + 0.05) {
          const at = performance.now();
          if (next === 0) clock.firstEmitAt = at;
          clock.emitted[next] = at;
          controller.enqueue({ type: 'text-delta', id: 't0', delta: tokenText(next) });
          next++;
        }
        if (next >= tokens) return finish();
        timer = setTimeout(tick, Math.max(0, begin + next * interval - performance.now()));
      };
      const finish = () => {
        clock.endedAt = performance.now();
        controller.enqueue({ type: 'text-end', id: 't0' });
        controller.enqueue({ type: 'finish' });
        controller.close();
      };
      timer = setTimeout(tick, Math.max(0, begin - performance.now()));
    },
    cancel() {
      clearTimeout(timer);
    },
  });
}

/**
 * Reads a client-side chunk stream to the end and records, for every token, the delay from its
 * emit stamp to the moment the stream yielded it.
 */
export async function consume(stream: ReadableStream<UIMessageChunk>, clock: TokenClock, sentAt: number): Promise<TurnSample> {
  const reader = stream.getReader();
  const latencies: number[] = [];
  let received = 0;
  let firstAt = NaN;
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    if (value.type !== 'text-delta') continue;
    const now = performance.now();
    if (received === 0) firstAt = now;
    for (let i = 0; i < value.delta.length; i++) {
      if (value.delta.charCodeAt(i) === 32) latencies.push(now - clock.emitted[received++]);
    }
  }
  return { latencies, received, firstAt, sentAt, clock };
}

export interface TurnSample {
  latencies: number[];
  received: number;
  firstAt: number;
  sentAt: number;
  clock: TokenClock;
}
