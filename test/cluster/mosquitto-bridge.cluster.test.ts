/**
 * Two bridged Mosquitto brokers, a worker on each. A request published on one broker crosses the
 * bridge and reaches both brokers' `$share` groups: two workers receive it. Rendezvous ownership
 * (both workers see each other's presence: it lives in `chat/~/sys`, inside the bridged tree) hands the copy to
 * one owner, which runs the turn once.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CloudSignalChatTransport } from '../../src/transport/index.js';
import { checkTurn, runChatTurn } from '../chaos/lib/chat-client.js';
import { expectedText, scriptBody, startChaosWorker, type ChaosScript, type ChaosWorker } from '../chaos/lib/workers.js';
import { startBridgedMosquittos, type BridgedMosquittos } from '../helpers/mosquitto-bridge.js';
import { waitForPresence } from '../helpers/presence.js';

describe('two Mosquitto brokers bridged both ways for chat/# (the whole tree the kit uses)', () => {
  let brokers: BridgedMosquittos;
  const workers: ChaosWorker[] = [];
  let transport: CloudSignalChatTransport;

  beforeAll(async () => {
    brokers = await startBridgedMosquittos(['chat']);
    for (const [i, node] of brokers.nodes.entries()) workers.push(await startChaosWorker(node.mqttUrl, `mb_w${i}`, { presenceIntervalMs: 1_000 }));
    transport = new CloudSignalChatTransport({ wssUrl: brokers.nodes[1].wsUrl, userId: 'mb_u', trigger: 'mqtt', streamTimeout: 15_000, connection: { clientId: 'mb_c' } });
  });
  afterAll(async () => {
    transport?.close();
    for (const { worker } of workers) await worker.close();
    await brokers?.stop();
  });

  test('every request reaches both $share groups, yet each turn runs exactly once', async () => {
    for (const { worker } of workers) expect(worker.stats.mode).toBe('shared');
    await waitForPresence(brokers.nodes.map((n) => n.mqttUrl), workers.map((w) => w.worker.workerId));
    const scripts: ChaosScript[] = Array.from({ length: 12 }, (_, i) => ({ key: `mb-t${i}`, tokens: 20, delayMs: 5 }));
    for (const [i, script] of scripts.entries()) {
      const outcome = await runChatTurn(transport, { chatId: `mb_chat${i}`, prompt: 'hi', body: scriptBody(script), resumeDeadlineMs: 10_000 });
      expect(checkTurn(outcome, expectedText(script))).toEqual([]);
    }
    // Each turn ran once, on one of the two workers.
    expect(workers.flatMap((w) => w.servedKeys).sort()).toEqual(scripts.map((s) => s.key).sort());
    // Both brokers' groups got every request: each worker received one copy per turn.
    for (const { worker } of workers) expect(worker.stats.received).toBeGreaterThanOrEqual(scripts.length);
    // The copies reached the owner (forwarded to its inbox) and were dropped there as duplicates.
    const forwarded = workers.reduce((n, { worker }) => n + worker.stats.forwarded, 0);
    const duplicates = workers.reduce((n, { worker }) => n + worker.stats.duplicates, 0);
    expect(forwarded).toBe(scripts.length);
    expect(duplicates).toBe(scripts.length);
  });
});
