import type { UIMessageChunk } from 'ai';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { mergeDeltas } from '../../src/transport/index.js';
import { remainderOf, TurnReader } from '../../src/transport/turn-reader.js';

const d = (text: string): UIMessageChunk => ({ type: 'text-delta', id: 't', delta: text });

function setup(fromSeq = 0, alreadyShown = 0) {
  const replays: number[] = [];
  const settled: string[] = [];
  const silences: number[] = [];
  const reader = new TurnReader({
    requestId: 'r',
    fromSeq,
    alreadyShown,
    silenceMs: 5_000,
    replayRetryMs: 1_000,
    requestReplay: (from) => replays.push(from),
    onSilence: () => silences.push(Date.now()),
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
  return { reader, replays, settled, silences, out, done };
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

  test('silence makes the reader ask, again after every further silence, and never ends the stream', async () => {
    const { reader, silences, settled, out, done } = setup();
    reader.push({ requestId: 'r', seq: 0, chunks: [d('a')], end: false }, false);
    await vi.advanceTimersByTimeAsync(5_001);
    expect(silences).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(silences).toHaveLength(2);
    expect(settled).toEqual([]);
    reader.push({ requestId: 'r', seq: 1, chunks: [d('b')], end: true }, false);
    await done;
    expect(out).toEqual(['a', 'b']);
  });

  test('paused (offline) it neither asks nor counts silence; back online it asks for what it lacks, inside the same stream', async () => {
    const { reader, replays, silences, out, done } = setup();
    reader.push({ requestId: 'r', seq: 0, chunks: [d('a'), d('b')], end: false }, false);
    reader.pause();
    reader.push({ requestId: 'r', seq: 3, chunks: [d('d')], end: false }, false); // arrived just before the drop
    await vi.advanceTimersByTimeAsync(60_000);
    expect(silences).toEqual([]);
    expect(replays).toEqual([]);
    reader.requestCatchUp();
    expect(replays).toEqual([2]);
    reader.push({ requestId: 'r', seq: 2, chunks: [d('c'), d('d'), d('e')], end: true }, true);
    await done;
    expect(out).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(reader.recovered).toBe(2);
  });

  test('a retained complete supplies exactly what the reader had not delivered, then ends the stream', async () => {
    const { reader, out, done, settled } = setup();
    const log = [{ type: 'start' } as UIMessageChunk, { type: 'text-start', id: 't' } as UIMessageChunk, d('Hel'), d('lo '), d('world'), { type: 'text-end', id: 't' } as UIMessageChunk, { type: 'finish' } as UIMessageChunk];
    reader.push({ requestId: 'r', seq: 0, chunks: log.slice(0, 4), end: false }, false);
    reader.finishFrom(mergeDeltas(log));
    await done;
    expect(out.join('')).toBe('starttext-startHello worldtext-endfinish');
    expect(settled).toEqual(['complete']);
  });
});

test('a turn whose worker died ends with its error, even though its complete is not a continuation of what was shown', async () => {
  const { reader, out, done } = setup();
  reader.push({ requestId: 'r', seq: 0, chunks: [{ type: 'start' }, { type: 'text-start', id: 't' }, d('half')], end: false }, false);
  reader.finishFrom([{ type: 'start', messageId: 'm' }, { type: 'error', errorText: 'The worker running this turn stopped.' }]);
  await done;
  expect(out).toEqual(['start', 'text-start', 'half', 'error']);
});

describe('remainderOf', () => {
  const log: UIMessageChunk[] = [{ type: 'start' }, { type: 'text-start', id: 't' }, d('a'), d('b'), d('c'), { type: 'text-end', id: 't' }, { type: 'finish' }];
  test.each([0, 1, 2, 3, 4, 5, 6, 7])('after %i delivered chunks, delivered + remainder renders the whole turn', (n) => {
    const delivered = mergeDeltas(log.slice(0, n));
    const rest = remainderOf(mergeDeltas(log), delivered);
    const text = [...log.slice(0, n), ...rest].map((c) => (c.type === 'text-delta' ? c.delta : '')).join('');
    expect(text).toBe('abc');
    expect([...log.slice(0, n), ...rest].map((c) => c.type).filter((t) => t !== 'text-delta')).toEqual(['start', 'text-start', 'text-end', 'finish']);
  });
});
