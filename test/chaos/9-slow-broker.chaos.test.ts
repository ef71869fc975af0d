/**
 * Scenario 9: a broker that delivers slowly. The proxy in front of the broker delays every
 * packet, both ways, by 200-2,000 ms (order kept per direction, as on one TCP connection):
 * CONNACKs, SUBACKs, retained messages, tokens and acknowledgements all arrive late. No wait for
 * an answer may turn a late answer into a lost turn: every turn must render its exact text once.
 */
import { describe, expect, test } from 'vitest';
import { BROKER_KINDS } from './lib/brokers.js';
import { countChunks, failures, runLoad, seededRandom } from './lib/load.js';
import { recordRow } from './lib/results.js';
import { useChaosStack } from './lib/stack.js';

const CLIENTS = 12;
const TURNS_PER_CLIENT = 3;

describe.each(BROKER_KINDS)('a slow broker (200-2,000 ms jitter) on %s', (kind) => {
  const stack = useChaosStack(kind, 's9');

  test('every turn renders its exact text once', async () => {
    const started = Date.now();
    const random = seededRandom(kind === 'aedes' ? 909 : 919);
    stack.proxy.jitter = { minMs: 200, maxMs: 2_000, random };
    try {
      const result = await runLoad({
        label: `s9${kind.slice(0, 3)}`,
        wsUrl: stack.proxy.url,
        clients: CLIENTS,
        turnsPerClient: TURNS_PER_CLIENT,
        script: (client, turn) => ({ key: `${kind}-s9-c${client.index}-t${turn}`, tokens: 20 + Math.floor(random() * 20), delayMs: 30 }),
      });
      const { turns } = result;
      recordRow({
        scenario: '9 slow broker',
        broker: kind,
        turns: turns.length,
        disconnects: turns.reduce((n, t) => n + t.outcome.disconnects, 0),
        chunks: countChunks(turns),
        replays: turns.reduce((n, t) => n + t.outcome.replays, 0) + result.replayRequests,
        mismatches: turns.filter((t) => t.problems.length > 0).length,
        notes: { jitteredPackets: stack.proxy.counters.jittered, replayRequests: result.replayRequests, duplicatesDropped: result.duplicatesDropped },
        durationMs: Date.now() - started,
      });
      expect(failures(turns, 5, stack.workers.flatMap((w) => w.servedKeys))).toBe('');
      expect(turns.length).toBe(CLIENTS * TURNS_PER_CLIENT);
    } finally {
      stack.proxy.jitter = null;
    }
  }, 180_000);
});
