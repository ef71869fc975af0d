/**
 * One pacer for many chats (scale and capacity benchmarks): every token has a fixed slot on a
 * shared schedule, so a subscriber in another process knows when each token was due.
 */
import type { UIMessageChunk } from 'ai';
import { TokenClock, tokenText } from './source.js';

/**
 * Paces every chat from a few shared timers instead of one timer per token per chat: 1 000 chats
 * at 50 tok/s would otherwise cost the load generator 50 000 timer callbacks a second and make it,
 * not the broker, the bottleneck. Chats are spread over `PHASES` offsets within one interval.
 */
export const PHASES = 20;

/** When token `k` of chat `i` is due, relative to the pacer's `begin` (ms). */
export function scheduledAt(i: number, k: number, tokensPerSecond: number): number {
  const interval = 1000 / tokensPerSecond;
  return ((i % PHASES) * interval) / PHASES + k * interval;
}

export function sharedPacer(chats: number, tokens: number, tokensPerSecond: number, clocks: TokenClock[], beginAt?: number): ReadableStream<UIMessageChunk>[] {
  const interval = 1000 / tokensPerSecond;
  const controllers: ReadableStreamDefaultController<UIMessageChunk>[] = [];
  const streams = Array.from({ length: chats }, (_, i) => new ReadableStream<UIMessageChunk>({ start: (c) => void (controllers[i] = c) }));
  const begin = beginAt ?? performance.now() + 5;
  const next = new Array<number>(chats).fill(0);
  const phaseOf = (i: number) => begin + ((i % PHASES) * interval) / PHASES;
  for (let i = 0; i < chats; i++) {
    clocks[i].startedAt = begin;
    controllers[i].enqueue({ type: 'start' });
    controllers[i].enqueue({ type: 'text-start', id: 't0' });
  }
  let remaining = chats;
  const timers: ReturnType<typeof setTimeout>[] = [];
  for (let phase = 0; phase < PHASES; phase++) {
    const members = Array.from({ length: chats }, (_, i) => i).filter((i) => i % PHASES === phase);
    if (members.length === 0) continue;
    const tick = () => {
      const now = performance.now();
      let pending = false;
      for (const i of members) {
        // Catch up on every slot that passed: the schedule, not the timer, sets the rate.
        while (next[i] < tokens && phaseOf(i) + next[i] * interval <= now + 0.05) {
          clocks[i].emitted[next[i]] = performance.now();
          controllers[i].enqueue({ type: 'text-delta', id: 't0', delta: tokenText(next[i]) });
          if (++next[i] === tokens) {
            controllers[i].enqueue({ type: 'text-end', id: 't0' });
            controllers[i].enqueue({ type: 'finish' });
            controllers[i].close();
            remaining--;
          }
        }
        if (next[i] < tokens) pending = true;
      }
      if (pending) timers[phase] = setTimeout(tick, Math.max(0, phaseOf(members[0]) + next[members[0]] * interval - performance.now()));
    };
    timers[phase] = setTimeout(tick, Math.max(0, phaseOf(members[0]) - performance.now()));
  }
  void remaining;
  return streams;
}
