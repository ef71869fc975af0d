/**
 * The embedded broker as a cluster: two Aedes nodes in separate processes sharing one Redis.
 * A browser on one node and workers on both: every turn is exact and runs once; retained state
 * (worker presence, chat status) and client-id take-over work across nodes.
 */
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CloudSignalChatTransport } from '../../src/transport/index.js';
import { startEmbeddedBroker, InvalidRedisUrlError } from '../../src/broker/index.js';
import { checkTurn, runChatTurn } from '../chaos/lib/chat-client.js';
import { expectedText, scriptBody, startChaosWorker, type ChaosScript, type ChaosWorker } from '../chaos/lib/workers.js';
import { startAedesCluster, type AedesCluster } from '../helpers/aedes-cluster.js';
import { waitForPresence } from '../helpers/presence.js';

describe('Aedes cluster over Redis (2 nodes, separate processes)', () => {
  let cluster: AedesCluster;
  const workers: ChaosWorker[] = [];
  let transport: CloudSignalChatTransport;

  beforeAll(async () => {
    cluster = await startAedesCluster({ nodes: 2 });
    // One worker per node: they must find each other through retained presence stored in Redis.
    for (const [i, node] of cluster.nodes.entries()) workers.push(await startChaosWorker(node.mqttUrl, `ar_w${i}`, { presenceIntervalMs: 1_000 }));
    transport = new CloudSignalChatTransport({ wssUrl: cluster.nodes[1].wsUrl, userId: 'ar_u', trigger: 'mqtt', streamTimeout: 15_000, connection: { clientId: 'ar_c' } });
  });
  afterAll(async () => {
    transport?.close();
    for (const { worker } of workers) await worker.close();
    await cluster?.stop();
  });

  test('a browser on node 1 gets every turn exactly, each run by one worker across both nodes', async () => {
    // Membership is learnt from heartbeats: wait until each node has carried both workers' beats.
    await waitForPresence(cluster.nodes.map((n) => n.mqttUrl), workers.map((w) => w.worker.workerId));
    const scripts: ChaosScript[] = Array.from({ length: 12 }, (_, i) => ({ key: `ar-t${i}`, tokens: 20, delayMs: 5 }));
    for (const [i, script] of scripts.entries()) {
      const outcome = await runChatTurn(transport, { chatId: `ar_chat${i}`, prompt: 'hi', body: scriptBody(script), resumeDeadlineMs: 10_000 });
      expect(checkTurn(outcome, expectedText(script))).toEqual([]);
    }
    const served = workers.flatMap((w) => w.servedKeys);
    expect(served.sort()).toEqual(scripts.map((s) => s.key).sort());
    // Both nodes' workers took turns: ownership spread the load instead of one node serving all.
    for (const w of workers) expect(w.servedKeys.length).toBeGreaterThan(0);
  });

  test('a retained message stored through one node reaches a wildcard subscriber on the other', async () => {
    const a = await mqtt.connectAsync(cluster.nodes[0].mqttUrl, { clientId: 'ar_ret_a' });
    const b = await mqtt.connectAsync(cluster.nodes[1].mqttUrl, { clientId: 'ar_ret_b' });
    try {
      await a.publishAsync('ar/retained/x', 'kept', { qos: 1, retain: true });
      const got = new Promise<string>((resolve) => b.on('message', (topic, payload) => resolve(`${topic}=${payload}`)));
      await b.subscribeAsync('ar/retained/+', { qos: 1 });
      expect(await got).toBe('ar/retained/x=kept');
    } finally {
      await a.publishAsync('ar/retained/x', '', { qos: 1, retain: true });
      await a.endAsync(true);
      await b.endAsync(true);
    }
  });

  test('a client id connecting on another node takes over: the first connection is closed', async () => {
    const first = await mqtt.connectAsync(cluster.nodes[0].mqttUrl, { clientId: 'ar_same', reconnectPeriod: 0 });
    const closed = new Promise<void>((resolve) => first.once('close', () => resolve()));
    const second = await mqtt.connectAsync(cluster.nodes[1].mqttUrl, { clientId: 'ar_same', reconnectPeriod: 0 });
    await closed;
    expect(second.connected).toBe(true);
    await second.endAsync(true);
    await first.endAsync(true);
  });
});

test('a malformed cluster.redisUrl is refused with a typed error before anything listens', async () => {
  await expect(startEmbeddedBroker({ port: 0, wsPort: 0, cluster: { redisUrl: 'http://127.0.0.1:6379' } })).rejects.toBeInstanceOf(InvalidRedisUrlError);
});
