import type { UIMessageChunk } from 'ai';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { StreamTimeoutError } from '../../src/transport/index.js';
import { TurnReader } from '../../src/transport/turn-reader.js';

const d = (text: string): UIMessageChunk => ({ type: 'text-delta', id: 't', delta: text });

function setup(fromSeq = 0, alreadyShown = 0) {
  const replays: number[] = [];
  const settled: string[] = [];
  const reader = new TurnReader({
    requestId: 'r',
    fromSeq,
    alreadyShown,
    streamTimeout: 5_000,
    replayRetryMs: 1_000,
    requestReplay: (from) => replays.push(from),
    onSettled: (_r, outcome) => settled.push(outcome),
  });
  const out: string[] = [];
  const done = (async () => {
    const iterator = reader.stream.getReader();
    while (true) {
      const { value, done } = await iterator.read();
      if (done) return;
      out.push(value.type === 'text-delta' ? value.delta : value.type);
    }
  })();
  return { reader, replays, settled, out, done };
}

describe('TurnReader', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  test('delivers in order, drops duplicates, holds after a gap and asks for replay once', async () => {
    const { reader, replays, out, done, settled } = setup();
    reader.push({ requestId: 'r', seq: 0, chunks: [d('a'), d('b')], end: false }, false);
    reader.push({ requestId: 'r', seq: 1, chunks: [d('b')], end: false }, false); // duplicate
    reader.push({ requestId: 'r', seq: 3, chunks: [d('d')], end: false }, false); // gap at 2
    reader.push({ requestId: 'r', seq: 4, chunks: [d('e')], end: true }, false);
    expect(replays).toEqual([2]);
    reader.push({ requestId: 'r', seq: 2, chunks: [d('c'), d('d'), d('e')], end: true }, true);
    await done;
    expect(out).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(reader.recovered).toBe(1);
    expect(reader.duplicates).toBe(3);
    expect(settled).toEqual(['complete']);
  });

  test('a resumed turn counts as recovered only what was not shown before the drop', async () => {
    const { reader, done } = setup(0, 2);
    reader.push({ requestId: 'r', seq: 0, chunks: [d('a'), d('b'), d('c'), d('d')], end: true }, true);
    await done;
    expect(reader.recovered).toBe(2);
  });

  test('re-asks for a replay while the gap stays open', async () => {
    const { reader, replays } = setup();
    reader.push({ requestId: 'r', seq: 2, chunks: [d('c')], end: false }, false);
    expect(replays).toEqual([0]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(replays).toEqual([0, 0]);
    reader.push({ requestId: 'r', seq: 0, chunks: [d('a'), d('b')], end: false }, true);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(replays).toEqual([0, 0]);
    reader.close();
  });

  test('a final status with a higher last sequence triggers replay of the lost tail', async () => {
    const { reader, replays, out, done } = setup();
    reader.push({ requestId: 'r', seq: 0, chunks: [d('a')], end: false }, false);
    reader.onStatus({ requestId: 'r', state: 'done', lastSeq: 2, at: 1 });
    expect(replays).toEqual([1]);
    reader.push({ requestId: 'r', seq: 1, chunks: [d('b'), d('c')], end: true }, true);
    await done;
    expect(out).toEqual(['a', 'b', 'c']);
  });

  test('silence longer than streamTimeout fails with StreamTimeoutError', async () => {
    const { reader, done } = setup();
    reader.push({ requestId: 'r', seq: 0, chunks: [d('a')], end: false }, false);
    const failure = done.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(5_001);
    expect(await failure).toBeInstanceOf(StreamTimeoutError);
  });
});
