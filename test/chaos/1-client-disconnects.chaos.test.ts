/**
 * Scenario 1: random client disconnects mid-turn. Every turn of every client gets a fault at a
 * random chunk: the socket destroyed, a clean WebSocket close, or an offline gap that outlasts
 * the rest of the turn (the answer then comes back from the retained `complete`). The consumer
 * resumes like useChat; each turn must render its exact text once.
 */
import { describe, expect, test } from 'vitest';
import { BROKER_KINDS } from './lib/brokers.js';
import { useChaosStack } from './lib/stack.js';
import { countChunks, failures, runLoad, seededRandom } from './lib/load.js';
import { recordRow } from './lib/results.js';

const CLIENTS = 50;
const TURNS_PER_CLIENT = 12;

describe.each(BROKER_KINDS)('client disconnects mid-turn on %s', (kind) => {
  const stack = useChaosStack(kind, 's1');

  test('every turn renders its exact text once across destroyed sockets, clean closes and long gaps', async () => {
    const started = Date.now();
    const random = seededRandom(kind === 'aedes' ? 101 : 202);
    const faults = { destroy: 0, clean: 0, gap: 0, missed: 0 };
    const result = await runLoad({
      label: `s1${kind.slice(0, 3)}`,
      wsUrl: stack.proxy.url,
      clients: CLIENTS,
      turnsPerClient: TURNS_PER_CLIENT,
      script: (client, turn) => ({ key: `${kind}-c${client.index}-t${turn}`, tokens: 20 + Math.floor(random() * 20), delayMs: 15 + Math.floor(random() * 10) }),
      plan: (client, _turn, script) => {
        const at = 2 + Math.floor(random() * (script.tokens - 4));
        const roll = random();
        const how = roll < 0.45 ? 'destroy' : roll < 0.8 ? 'clean' : 'gap';
        // A gap longer than everything left of the turn: it finishes while this client is away.
        const gapMs = (script.tokens - at) * script.delayMs + 800 + Math.floor(random() * 1200);
        let fired = false;
        return {
          onChunk: (_chunk, delivered) => {
            if (fired || delivered !== at) return;
            fired = true;
            if (how === 'gap') {
              stack.proxy.block(client.clientId, gapMs);
              faults.gap++;
            } else if (stack.proxy.drop(client.clientId, how)) faults[how]++;
            else faults.missed++;
          },
        };
      },
    });
    const { turns } = result;
    const mismatches = turns.filter((t) => t.problems.length > 0).length;
    // Socket drops that landed mid-turn. The transport resumes inside the stream it returned, so
    // the consumer no longer sees most of them as network errors (surfaced: see notes).
    const disconnects = faults.destroy + faults.clean + faults.gap;
    const surfaced = turns.reduce((n, t) => n + t.outcome.disconnects, 0);
    const served = stack.workers.flatMap((w) => w.served);
    recordRow({
      scenario: '1 client disconnects',
      broker: kind,
      turns: turns.length,
      disconnects,
      chunks: countChunks(turns),
      replays: turns.reduce((n, t) => n + t.outcome.replays, 0) + result.replayRequests,
      mismatches,
      notes: { injected: faults, surfacedToConsumer: surfaced, resumedFromStart: turns.reduce((n, t) => n + t.outcome.replays, 0), replayRequests: result.replayRequests, servedPerWorker: stack.workers.map((w) => w.served.length), mode: stack.workers[0].worker.stats.mode },
      durationMs: Date.now() - started,
    });
    expect(failures(turns, 5, stack.workers.flatMap((w) => w.servedKeys))).toBe('');
    expect(turns.length).toBe(CLIENTS * TURNS_PER_CLIENT);
    // Every turn ran its handler exactly once, on exactly one worker.
    expect(new Set(served).size).toBe(served.length);
    expect(served.length).toBe(turns.length);
    // Enough real mid-turn disconnects for the suite's 1 000 across both brokers.
    expect(disconnects).toBeGreaterThanOrEqual(500);
  });
});
