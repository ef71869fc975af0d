/**
 * Scenario 7: soak. 100 chats talk at once for 60 s (each a client of its own, turns back to
 * back with short pauses). Afterwards memory (heap after GC) and the broker's subscription count
 * must come back to their baseline: nothing accumulates in the transports, the workers or the
 * broker. Every turn is checked exactly as in the other scenarios.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BROKER_KINDS, sleep, startChaosBroker, type ChaosBroker } from './lib/brokers.js';
import { heapAfterGc } from './lib/heap.js';
import { failures, runLoad, seededRandom } from './lib/load.js';
import { recordRow } from './lib/results.js';
import { startChaosWorker, type ChaosWorker } from './lib/workers.js';

const CHATS = 100;
const SOAK_MS = Number(process.env.CHAOS_SOAK_MS ?? 60_000);
/** How long a finished turn's control subscription stays for late replays (worker option). */
const REPLAY_GRACE_MS = 1_000;
const MB = 1024 * 1024;

describe.each(BROKER_KINDS)('soak: %s', (kind) => {
  let broker: ChaosBroker;
  const workers: ChaosWorker[] = [];

  beforeAll(async () => {
    broker = await startChaosBroker(kind);
    for (let i = 0; i < 2; i++) workers.push(await startChaosWorker(broker.mqttUrl, `s7_${kind}_w${i}`, { publish: { replayGraceMs: REPLAY_GRACE_MS } }, undefined, false));
  });
  /**
   * The workers' memory stores keep every conversation, as a chat store must: that growth is the
   * product working, not a leak. Deleting the chats (as a user would) before each heap sample
   * leaves only what the transports, the workers and the broker hold. Returns the messages deleted.
   */
  const forgetConversations = async (label: string): Promise<number> => {
    let deleted = 0;
    for (const { worker } of workers) {
      for (let i = 0; i < CHATS; i++) {
        const userId = `${label}_u${i}`;
        for (const chat of (await worker.store.listChats(userId)).chats) {
          deleted += (await worker.store.loadMessages({ userId, chatId: chat.chatId })).messages.length;
          await worker.store.deleteChat({ userId, chatId: chat.chatId });
        }
      }
    }
    return deleted;
  };
  afterAll(async () => {
    for (const { worker } of workers) await worker.close();
    await broker?.close();
  });

  test(`${CHATS} concurrent chats for ${SOAK_MS / 1000} s: exact turns, memory and subscriptions back to baseline`, async () => {
    const started = Date.now();
    const label = `s7${kind.slice(0, 3)}`;
    const random = seededRandom(kind === 'aedes' ? 71 : 72);
    const script = (key: string) => ({ key, tokens: 20 + Math.floor(random() * 20), delayMs: 20 + Math.floor(random() * 15) });

    // Warm-up: one turn per chat, so the baseline includes connected transports and warm code.
    const warm = await runLoad({ label, wsUrl: broker.wsUrl, clients: CHATS, turnsPerClient: 2, budgetMs: 30_000, keepOpen: true, failuresOnly: true, script: (c, turn) => script(`${kind}-warm-c${c.index}-t${turn}`) });
    expect(failures(warm.turns)).toBe('');
    await sleep(REPLAY_GRACE_MS + 500);
    await forgetConversations(label);
    const baselineSubs = await broker.subscriptionCount();
    const baselineHeap = await heapAfterGc();

    const running = runLoad({
      label,
      wsUrl: broker.wsUrl,
      clients: CHATS,
      turnsPerClient: 1_000,
      budgetMs: SOAK_MS,
      keepOpen: true,
      reuse: warm.transports,
      failuresOnly: true,
      thinkMs: () => 100 + Math.floor(random() * 400),
      script: (c, turn) => script(`${kind}-c${c.index}-t${turn}`),
    });
    // Mid-soak the broker must show the chats' subscriptions: proof the count measures them.
    await sleep(SOAK_MS / 2);
    const midSubs = await broker.subscriptionCount();
    const result = await running;

    // After the turns: late-replay grace over, every chat released, transports still open.
    await sleep(REPLAY_GRACE_MS + 500);
    const storedMessages = await forgetConversations(label);
    const openSubs = await broker.subscriptionCount();
    const openHeap = await heapAfterGc();
    for (const t of result.transports) t.close();
    await sleep(500);
    const closedSubs = await broker.subscriptionCount();
    const closedHeap = await heapAfterGc();

    const { turns } = result;
    const served = workers.reduce((n, w) => n + w.servedCount, 0) - warm.turnCount;
    recordRow({
      scenario: '7 soak',
      broker: kind,
      turns: result.turnCount,
      disconnects: 0,
      chunks: result.deltaCount,
      replays: result.replayRequests,
      mismatches: turns.length,
      notes: {
        chats: CHATS,
        soakSecs: SOAK_MS / 1000,
        turnsPerSec: Number((result.turnCount / (SOAK_MS / 1000)).toFixed(1)),
        subscriptions: `baseline ${baselineSubs}, mid-soak ${midSubs}, after turns ${openSubs}, after close ${closedSubs}`,
        heapMB: `baseline ${(baselineHeap / MB).toFixed(1)}, after turns ${(openHeap / MB).toFixed(1)}, after close ${(closedHeap / MB).toFixed(1)}`,
        workerActive: workers.map((w) => w.worker.stats.active),
        storedMessagesDeleted: storedMessages,
      },
      durationMs: Date.now() - started,
    });
    expect(failures(turns)).toBe('');
    // Every chat took part (how many turns fit in the window depends on the machine's load and is
    // reported as turnsPerSec, not asserted).
    expect(result.turnCount).toBeGreaterThanOrEqual(CHATS);
    // One handler run per turn.
    expect(served).toBe(result.turnCount);
    expect(midSubs).toBeGreaterThan(baselineSubs);
    // Back to baseline: no subscription left behind by finished turns or idle chats...
    expect(openSubs).toBe(baselineSubs);
    expect(closedSubs).toBe(baselineSubs);
    // ...no running turn left in a worker...
    for (const { worker } of workers) expect(worker.stats.active).toBe(0);
    // ...and no memory growth beyond noise after thousands of turns, with the same transports open.
    expect(openHeap - baselineHeap).toBeLessThan(4 * MB);
  });
});
