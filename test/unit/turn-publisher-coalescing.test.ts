/**
 * `TurnPublisher` with an adaptive coalescer, on the mock broker and fake timers: while the broker
 * acknowledges at once every token is its own publish, sent before the next token arrives; when
 * acknowledgements lag, deltas merge into fewer publishes and every device still reads the same text.
 */
import { afterEach, describe, expect, test, vi } from 'vitest';
import { AdaptiveCoalescer } from '../../src/server/adaptive-coalescer.js';
import { TurnPublisher } from '../../src/server/turn-publisher.js';
import { createMockBroker, type MockBroker } from '../../src/testing/index.js';
import { ProtocolClient, topics } from '../helpers/protocol-client.js';

let broker: MockBroker;
const address = { userId: 'ann', chatId: 'c1' };

afterEach(async () => {
  vi.useRealTimers();
  await broker?.close();
});

async function connected(clientId: string) {
  const client = broker.connect({ clientId });
  while (!client.connected) await vi.advanceTimersByTimeAsync(5);
  return client;
}

/** A turn streaming `tokens` deltas `gapMs` apart; returns the publisher and what a watching tab read. */
async function streamTurn(options: { latencyMs: number; coalescer?: AdaptiveCoalescer; tokens: number; gapMs: number }) {
  broker = createMockBroker({ latencyMs: options.latencyMs });
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'Date', 'performance'] });
  const tab = new ProtocolClient(await connected('ann-tab'), 'ann', 'ann-tab');
  const opening = tab.open('c1');
  await vi.advanceTimersByTimeAsync(options.latencyMs * 4 + 10);
  await opening;
  const turn = new TurnPublisher({
    client: await connected('svc-w'),
    topics,
    address,
    requestId: 'r1',
    messageId: 'msg_r1',
    streamQos: 1,
    completeQos: 1,
    mergeWindowMs: 0,
    coalescer: options.coalescer,
    completeExpirySeconds: 60,
    replayBatchSize: 256,
  });
  turn.push({ type: 'text-start', id: 't' });
  const leftAtOnce: boolean[] = [];
  /** How long each token waited in the publisher, ms (its publish carries every token buffered before it). */
  const waitedMs: number[] = [];
  const pending: Array<{ index: number; at: number }> = [];
  let published = turn.envelopes;
  const notePublishes = () => {
    if (turn.envelopes === published) return;
    published = turn.envelopes;
    for (const token of pending.splice(0)) waitedMs[token.index] = Date.now() - token.at;
  };
  const words: string[] = [];
  for (let i = 0; i < options.tokens; i++) {
    words.push(`w${i} `);
    pending.push({ index: i, at: Date.now() });
    turn.push({ type: 'text-delta', id: 't', delta: `w${i} ` });
    // Nothing but the event loop turn itself may pass before a token counts as sent at once.
    await vi.advanceTimersByTimeAsync(0);
    notePublishes();
    leftAtOnce.push(waitedMs[i] === 0);
    for (let ms = 0; ms < options.gapMs; ms++) {
      await vi.advanceTimersByTimeAsync(1);
      notePublishes();
    }
  }
  turn.push({ type: 'text-end', id: 't' });
  notePublishes();
  const finishing = turn.finish('done');
  await vi.advanceTimersByTimeAsync(options.latencyMs * 10 + 100);
  const result = await finishing;
  const final = tab.finalStatus('c1', 'r1');
  await vi.advanceTimersByTimeAsync(options.latencyMs * 4 + 10);
  await final;
  const read = tab
    .chunksOf('c1', 'r1')
    .map((chunk) => (chunk.type === 'text-delta' ? chunk.delta : ''))
    .join('');
  return { result, leftAtOnce, waitedMs, read, expected: words.join('') };
}

describe('TurnPublisher with adaptive coalescing', () => {
  test('while acknowledgements come back at once, every token is published before the next one arrives', async () => {
    const { result, leftAtOnce, read, expected } = await streamTurn({ latencyMs: 0, coalescer: new AdaptiveCoalescer(), tokens: 40, gapMs: 20 });
    expect(leftAtOnce.every(Boolean)).toBe(true);
    expect(read).toBe(expected);
    expect(result.text).toBe(expected);
  });

  test('when acknowledgements lag, deltas merge into far fewer publishes and the text is the same', async () => {
    const tokens = 100;
    const lagging = await streamTurn({ latencyMs: 40, coalescer: new AdaptiveCoalescer(), tokens, gapMs: 5 });
    expect(lagging.read).toBe(lagging.expected);
    expect(lagging.result.text).toBe(lagging.expected);
    // The same lag without a coalescer: one publish per token.
    const fixed = await streamTurn({ latencyMs: 40, tokens, gapMs: 5 });
    expect(fixed.read).toBe(fixed.expected);
    expect(fixed.result.envelopes).toBeGreaterThanOrEqual(tokens);
    expect(lagging.result.envelopes).toBeLessThan(fixed.result.envelopes / 3);
  });

  test('a merged token waits at most the coalescer window', async () => {
    const gapMs = 5;
    const maxWindowMs = 20;
    const { leftAtOnce, waitedMs, read, expected } = await streamTurn({ latencyMs: 40, coalescer: new AdaptiveCoalescer({ maxWindowMs }), tokens: 60, gapMs });
    expect(read).toBe(expected);
    expect(leftAtOnce.some((sent) => !sent)).toBe(true);
    expect(waitedMs).toHaveLength(60);
    expect(Math.max(...waitedMs)).toBeLessThanOrEqual(maxWindowMs);
  });
});
