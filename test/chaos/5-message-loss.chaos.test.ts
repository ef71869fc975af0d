/**
 * Scenario 5: the proxy drops 5% of the `stream` messages between broker and clients (QoS 0:
 * gone for good). Gap replay must repair every turn: exact text, no error, and replays happen.
 */
import { describe, expect, test } from 'vitest';
import { BROKER_KINDS } from './lib/brokers.js';
import { useChaosStack } from './lib/stack.js';
import { countChunks, failures, runLoad, seededRandom } from './lib/load.js';
import { recordRow } from './lib/results.js';

const CLIENTS = 30;
const TURNS_PER_CLIENT = 6;
const LOSS_RATE = 0.05;

describe.each(BROKER_KINDS)('5%% stream message loss on %s', (kind) => {
  const stack = useChaosStack(kind, 's5');

  test('gap replay repairs every turn', async () => {
    const started = Date.now();
    stack.proxy.loss = { rate: LOSS_RATE, match: (topic) => topic.endsWith('/stream'), random: seededRandom(kind === 'aedes' ? 5 : 55) };
    const random = seededRandom(kind === 'aedes' ? 7 : 77);
    const result = await runLoad({
      label: `s5${kind.slice(0, 3)}`,
      wsUrl: stack.proxy.url,
      clients: CLIENTS,
      turnsPerClient: TURNS_PER_CLIENT,
      // Fast enough that the merge window batches some deltas, slow enough for many envelopes.
      script: (client, turn) => ({ key: `${kind}-c${client.index}-t${turn}`, tokens: 30 + Math.floor(random() * 20), delayMs: 8 + Math.floor(random() * 20) }),
    });
    const { turns } = result;
    recordRow({
      scenario: '5 message loss 5%',
      broker: kind,
      turns: turns.length,
      disconnects: 0,
      chunks: countChunks(turns),
      replays: result.replayRequests,
      mismatches: turns.filter((t) => t.problems.length > 0).length,
      notes: { streamMessages: stack.proxy.counters.matched, dropped: stack.proxy.counters.lost, chunksRecovered: result.chunksRecovered, duplicatesDropped: result.duplicatesDropped },
      durationMs: Date.now() - started,
    });
    expect(failures(turns)).toBe('');
    expect(turns.length).toBe(CLIENTS * TURNS_PER_CLIENT);
    // The fault really happened, at about the rate asked, and was repaired by replay.
    expect(stack.proxy.counters.lost / stack.proxy.counters.matched).toBeGreaterThan(LOSS_RATE / 2);
    expect(result.replayRequests).toBeGreaterThan(0);
    expect(result.chunksRecovered).toBeGreaterThan(0);
  });
});
