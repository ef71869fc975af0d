/**
 * Scenario 4: a request is delivered more than once. The spy re-publishes every request twice
 * with the DUP flag (what a QoS 1 redelivery looks like), and three workers race for it:
 * on Aedes (no shared subscriptions: every worker receives every request) and on Mosquitto with
 * `sharedSubscriptions: 'off'` (the same race) and with shared subscriptions on (copies may land
 * on different workers). Each turn must be run once and answered once.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BROKER_KINDS, sleep, startChaosBroker, type BrokerKind, type ChaosBroker } from './lib/brokers.js';
import { countChunks, failures, runLoad } from './lib/load.js';
import { recordRow } from './lib/results.js';
import { BrokerSpy } from './lib/spy.js';
import { startChaosWorker, type ChaosWorker } from './lib/workers.js';

const VARIANTS: Array<{ kind: BrokerKind; shared: 'auto' | 'off' }> = [
  ...BROKER_KINDS.map((kind) => ({ kind, shared: 'off' as const })),
  { kind: 'mosquitto', shared: 'auto' },
];
const CLIENTS = 20;
const TURNS_PER_CLIENT = 5;

describe.each(VARIANTS)('duplicate requests on $kind (shared subscriptions $shared)', ({ kind, shared }) => {
  let broker: ChaosBroker;
  let spy: BrokerSpy;
  const workers: ChaosWorker[] = [];

  beforeAll(async () => {
    broker = await startChaosBroker(kind);
    spy = await BrokerSpy.start(broker.mqttUrl, 2);
    for (let i = 0; i < 3; i++) workers.push(await startChaosWorker(broker.mqttUrl, `s4_${kind}_${shared}_w${i}`, { sharedSubscriptions: shared }));
  });
  afterAll(async () => {
    for (const { worker } of workers) await worker.close();
    await spy?.close();
    await broker?.close();
  });

  test('one turn, one answer', async () => {
    const started = Date.now();
    const result = await runLoad({
      label: `s4${kind.slice(0, 3)}${shared}`,
      wsUrl: broker.wsUrl,
      clients: CLIENTS,
      turnsPerClient: TURNS_PER_CLIENT,
      script: (client, turn) => ({ key: `${kind}-${shared}-c${client.index}-t${turn}`, tokens: 12, delayMs: 10 }),
    });
    // Late copies still in flight must not start anything either.
    await sleep(300);
    const { turns } = result;
    const served = workers.flatMap((w) => w.served);
    const tallies = [...spy.tallies.values()];
    const doubled = tallies.filter((t) => t.starts > 1 || t.finals > 1).length;
    const duplicatesDropped = workers.reduce((n, w) => n + w.worker.stats.duplicates + w.worker.stats.notOwned, 0);
    recordRow({
      scenario: '4 duplicate requests',
      broker: `${kind}${shared === 'off' ? ' (shared off)' : ''}`,
      turns: turns.length,
      disconnects: 0,
      chunks: countChunks(turns),
      replays: result.replayRequests,
      mismatches: turns.filter((t) => t.problems.length > 0).length + doubled + (served.length - turns.length),
      notes: {
        mode: workers[0].worker.stats.mode,
        requestCopies: tallies.reduce((n, t) => n + t.requests, 0),
        servedPerWorker: workers.map((w) => w.served.length),
        ignoredCopies: duplicatesDropped,
        answersStartedTwice: doubled,
      },
      durationMs: Date.now() - started,
    });
    expect(failures(turns)).toBe('');
    expect(turns.length).toBe(CLIENTS * TURNS_PER_CLIENT);
    // Every request reached the broker at least three times (original + two copies; the client also
    // re-sends a request it saw no acknowledgement of within `replayRetryMs`, as it must under load)...
    for (const tally of tallies) expect(tally.requests).toBeGreaterThanOrEqual(3);
    expect(tallies.length).toBe(turns.length);
    // ...and was run once, started once, finished once.
    expect(served.length).toBe(turns.length);
    expect(new Set(served).size).toBe(served.length);
    for (const tally of tallies) {
      expect(tally.starts).toBe(1);
      expect(tally.finals).toBe(1);
    }
  });
});
