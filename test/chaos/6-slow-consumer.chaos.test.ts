/**
 * Scenario 6: slow consumers. Mid-turn, a client either stops reading its stream for seconds
 * (the UI thread busy) or its network path holds every packet for seconds and then delivers the
 * backlog at once. Either way the turn must catch up to the exact text, in order, without error.
 */
import { describe, expect, test } from 'vitest';
import { BROKER_KINDS } from './lib/brokers.js';
import { useChaosStack } from './lib/stack.js';
import { countChunks, failures, runLoad, seededRandom } from './lib/load.js';
import { recordRow } from './lib/results.js';

const CLIENTS = 20;
const TURNS_PER_CLIENT = 3;

describe.each(BROKER_KINDS)('slow consumer on %s', (kind) => {
  const stack = useChaosStack(kind, 's6');

  test('a client that stalls for seconds mid-turn catches up exactly', async () => {
    const started = Date.now();
    const random = seededRandom(kind === 'aedes' ? 61 : 62);
    const stalls = { reader: 0, network: 0, totalMs: 0 };
    const result = await runLoad({
      label: `s6${kind.slice(0, 3)}`,
      wsUrl: stack.proxy.url,
      clients: CLIENTS,
      turnsPerClient: TURNS_PER_CLIENT,
      transport: { streamTimeout: 10_000 },
      script: (client, turn) => ({ key: `${kind}-c${client.index}-t${turn}`, tokens: 40, delayMs: 20 }),
      plan: (client) => {
        const at = 3 + Math.floor(random() * 30);
        const ms = 2_000 + Math.floor(random() * 1_500);
        stalls.totalMs += ms;
        if (random() < 0.5) {
          stalls.reader++;
          return { readerStall: { afterChunks: at, ms } };
        }
        let fired = false;
        return {
          onChunk: (_chunk, delivered) => {
            if (fired || delivered !== at) return;
            fired = true;
            if (stack.proxy.stall(client.clientId, ms)) stalls.network++;
          },
        };
      },
    });
    const { turns } = result;
    recordRow({
      scenario: '6 slow consumer',
      broker: kind,
      turns: turns.length,
      disconnects: turns.reduce((n, t) => n + t.outcome.disconnects, 0),
      chunks: countChunks(turns),
      replays: result.replayRequests,
      mismatches: turns.filter((t) => t.problems.length > 0).length,
      notes: { readerStalls: stalls.reader, networkStalls: stalls.network, meanStallMs: Math.round(stalls.totalMs / Math.max(1, turns.length)) },
      durationMs: Date.now() - started,
    });
    expect(failures(turns)).toBe('');
    expect(turns.length).toBe(CLIENTS * TURNS_PER_CLIENT);
    expect(stalls.network).toBeGreaterThan(0);
    expect(stalls.reader).toBeGreaterThan(0);
    // A stall is not a disconnect: nothing may surface as a network error.
    expect(turns.every((t) => t.outcome.disconnects === 0)).toBe(true);
  });
});
