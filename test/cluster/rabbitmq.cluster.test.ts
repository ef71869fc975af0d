/**
 * RabbitMQ 3.10 as a 3-node cluster with the MQTT and Web MQTT plugins. First the facts the kit's
 * design has to live with, each measured here (docs/clusters.md draws the consequences); then a
 * browser on one node and workers on the others: every turn exact and run once.
 */
import { connect as netConnect } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CloudSignalChatTransport } from '../../src/transport/index.js';
import { checkTurn, runChatTurn } from '../chaos/lib/chat-client.js';
import { expectedText, scriptBody, startChaosWorker, type ChaosScript, type ChaosWorker } from '../chaos/lib/workers.js';
import { startRabbitCluster, type RabbitCluster } from '../helpers/rabbitmq-cluster.js';
import { waitForPresence } from '../helpers/presence.js';

let cluster: RabbitCluster;
const clients: MqttClient[] = [];

beforeAll(async () => {
  cluster = await startRabbitCluster({ nodes: 3 });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
  await cluster?.stop();
});

async function client(node: number, clientId: string, options: mqtt.IClientOptions = {}): Promise<MqttClient> {
  const c = await mqtt.connectAsync(cluster.nodes[node].mqttUrl, { clientId, reconnectPeriod: 0, ...options });
  clients.push(c);
  return c;
}

/** Collects what `c` receives, by topic. */
function inbox(c: MqttClient): Map<string, string[]> {
  const got = new Map<string, string[]>();
  c.on('message', (topic, payload) => got.set(topic, [...(got.get(topic) ?? []), payload.toString()]));
  return got;
}

/**
 * A round trip through the broker to `c`'s own queue: everything the broker had for `c` before it
 * (deliveries share one queue per client, in order) has arrived once this resolves. "Nothing was
 * delivered" is then an answer, not a timeout.
 */
async function flush(c: MqttClient, got: Map<string, string[]>, label: string): Promise<void> {
  const topic = `flush/${label}`;
  await c.subscribeAsync(topic, { qos: 1 });
  await c.publishAsync(topic, 'x', { qos: 1 });
  while (!got.has(topic)) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('RabbitMQ 3.10 facts the design lives with', () => {
  test('MQTT 5 is refused (connection closed without a CONNACK); MQTT 3.1.1 connects', async () => {
    const port = Number(new URL(cluster.nodes[0].mqttUrl).port);
    const socket = netConnect({ port, host: '127.0.0.1' });
    const received: Buffer[] = [];
    socket.on('data', (data: Buffer) => received.push(data));
    socket.on('connect', () => socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clean: true, clientId: 'rf_v5', keepalive: 30 } as never)));
    await new Promise((resolve) => socket.once('close', resolve));
    expect(Buffer.concat(received).byteLength).toBe(0);
    const v4 = await client(0, 'rf_v4', { protocolVersion: 4 });
    expect(v4.connected).toBe(true);
  });

  test('$share/group/topic is a literal topic: it gets nothing published to the topic', async () => {
    const sub = await client(0, 'rf_share_sub');
    const got = inbox(sub);
    const grants = await sub.subscribeAsync('$share/g/rf/job', { qos: 1 });
    expect(grants[0].qos).toBe(1);
    const pub = await client(1, 'rf_share_pub');
    await pub.publishAsync('rf/job', 'work', { qos: 1 });
    await flush(sub, got, 'share');
    expect(got.has('rf/job')).toBe(false);
    expect(got.has('$share/g/rf/job')).toBe(false);
  });

  test('retained messages stay on the node that stored them', async () => {
    const pub = await client(0, 'rf_ret_pub');
    await pub.publishAsync('rf/ret/x', 'kept', { qos: 1, retain: true });
    // Same node, exact filter: delivered (the positive control).
    const local = await client(0, 'rf_ret_local');
    const localGot = inbox(local);
    await local.subscribeAsync('rf/ret/x', { qos: 1 });
    await flush(local, localGot, 'ret-local');
    expect(localGot.get('rf/ret/x')).toEqual(['kept']);
    // Another node, same exact filter: nothing.
    const remote = await client(1, 'rf_ret_remote');
    const remoteGot = inbox(remote);
    await remote.subscribeAsync('rf/ret/x', { qos: 1 });
    await flush(remote, remoteGot, 'ret-remote');
    expect(remoteGot.has('rf/ret/x')).toBe(false);
  });

  test('retained messages never match a wildcard subscription, even on their own node', async () => {
    const pub = await client(0, 'rf_wild_pub');
    await pub.publishAsync('rf/wild/x', 'kept', { qos: 1, retain: true });
    const sub = await client(0, 'rf_wild_sub');
    const got = inbox(sub);
    await sub.subscribeAsync(['rf/wild/+', 'rf/wild/#'], { qos: 1 });
    await flush(sub, got, 'wild');
    expect(got.has('rf/wild/x')).toBe(false);
  });

  test('QoS 0 messages are queued for an offline persistent session', async () => {
    const first = await client(0, 'rf_offline', { clean: false });
    // A QoS 1 subscription (a durable queue); the message itself is published at QoS 0.
    await first.subscribeAsync('rf/offline', { qos: 1 });
    await first.endAsync();
    const pub = await client(1, 'rf_offline_pub');
    await pub.publishAsync('rf/offline', 'while away', { qos: 0 });
    await flush(pub, inbox(pub), 'offline-pub');
    const again = mqtt.connect(cluster.nodes[0].mqttUrl, { clientId: 'rf_offline', clean: false, reconnectPeriod: 0 });
    clients.push(again);
    const delivered = await new Promise<string>((resolve) => again.on('message', (topic, payload) => topic === 'rf/offline' && resolve(payload.toString())));
    expect(delivered).toBe('while away');
  });

  test('a duplicate client id on another node kicks the first connection, cluster-wide', async () => {
    const first = await client(0, 'rf_same');
    const closed = new Promise<void>((resolve) => first.once('close', () => resolve()));
    const second = await client(2, 'rf_same');
    await closed;
    expect(second.connected).toBe(true);
  });
});

describe('the kit on a RabbitMQ cluster', () => {
  const workers: ChaosWorker[] = [];
  let transport: CloudSignalChatTransport;

  beforeAll(async () => {
    // Workers on nodes 1 and 2, the browser on node 0 over Web MQTT.
    for (const i of [1, 2]) workers.push(await startChaosWorker(cluster.nodes[i].mqttUrl, `rk_w${i}`, { presenceIntervalMs: 1_000 }));
    transport = new CloudSignalChatTransport({ wssUrl: cluster.nodes[0].wsUrl, userId: 'rk_u', trigger: 'mqtt', streamTimeout: 15_000, connection: { clientId: 'rk_c' } });
  });
  afterAll(async () => {
    transport?.close();
    for (const { worker } of workers) await worker.close();
  });

  test('workers fall back to rendezvous ownership and every turn is exact and run once', async () => {
    for (const { worker } of workers) expect(worker.stats.mode).toBe('rendezvous');
    // Retained presence does not reach wildcard subscribers here: members meet through live beats.
    await waitForPresence([1, 2].map((i) => cluster.nodes[i].mqttUrl), workers.map((w) => w.worker.workerId));
    const scripts: ChaosScript[] = Array.from({ length: 10 }, (_, i) => ({ key: `rk-t${i}`, tokens: 20, delayMs: 5 }));
    for (const [i, script] of scripts.entries()) {
      const outcome = await runChatTurn(transport, { chatId: `rk_chat${i}`, prompt: 'hi', body: scriptBody(script), resumeDeadlineMs: 10_000 });
      expect(checkTurn(outcome, expectedText(script))).toEqual([]);
    }
    expect(workers.flatMap((w) => w.servedKeys).sort()).toEqual(scripts.map((s) => s.key).sort());
  });
});
