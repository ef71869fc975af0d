/**
 * The embedded broker's budgets, each attacked the way issue 14 measured it, through the public
 * API only (real sockets, real tokens): the attack must be stopped by the broker, the victim must
 * not notice, and `stats()` must say what was refused. Every test here failed before its fix.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/broker/index.js';
import { DEFAULT_BROKER_LIMITS } from '../../src/broker/limits.js';
import { createJwtIssuer } from '../../src/server/credentials/jwt.js';
import { createServiceAccount } from '../../src/server/credentials/service-account.js';
import { TopicScheme } from '../../src/transport/topics.js';
import { announcedHeader, connectPacket, rawTcp, rawWebSocket, sendUntilClosed, subscribePacket, type RawConnection } from '../helpers/raw-mqtt.js';
import { connect, tryConnect } from './acl-targets.js';

const SECRET = 'budget-secret-0123456789-0123456789-abcdef';
const scheme = new TopicScheme();
const issuer = createJwtIssuer({ secret: SECRET });
const service = createServiceAccount('budgets');
/** What an attacker would have to push to show the broker buffered it: far above any budget. */
const FLOOD_BYTES = 64 * 1024 * 1024;

let broker: EmbeddedBroker;
let worker: MqttClient;
const logs: string[] = [];

beforeAll(async () => {
  broker = await startEmbeddedBroker({
    port: 0,
    wsPort: 0,
    auth: { jwtSecret: SECRET, serviceAccounts: [service] },
    // Small retained budgets keep the flood short; the others are the defaults.
    limits: { maxRetainedPerUser: 50, maxRetainedBytesPerUser: 64 * 1024 },
    log: (line) => logs.push(line),
  });
  worker = await connect(broker.mqttUrl, { ...service, protocolVersion: 4 });
});

afterAll(async () => {
  await worker?.endAsync(true);
  await broker?.close();
});

/** A signed-in browser with its bound client id, via MQTT.js over WebSocket. */
async function browser(userId: string): Promise<MqttClient> {
  const credentials = await issuer.issue({ userId, ttlSeconds: 300 });
  return connect(broker.wsUrl, { username: credentials.username, password: credentials.password, clientId: credentials.clientId, protocolVersion: 4 });
}

/** SUBACK return codes, in filter order (MQTT.js rejects when any is 0x80 but keeps the packet). */
async function subscribeCodes(client: MqttClient, filters: string[]): Promise<number[]> {
  return client.subscribeAsync(filters, { qos: 0 }).then(
    (grants) => grants.map((grant) => grant.qos),
    (error: Error & { packet?: { granted?: number[] } }) => error.packet?.granted ?? Promise.reject(error),
  );
}

/** A raw connection that completed CONNECT as `userId` (CONNACK accepted). */
async function rawBrowser(open: (url: string) => Promise<RawConnection>, url: string, userId: string): Promise<RawConnection> {
  const credentials = await issuer.issue({ userId, ttlSeconds: 300 });
  const connection = await open(url);
  await connection.send(connectPacket({ clientId: credentials.clientId!, username: credentials.username, password: credentials.password }));
  const connack = await connection.receive(4);
  expect([...connack]).toEqual([0x20, 2, 0, 0]);
  return connection;
}

/** Bob's control turn: a worker publish on his stream reaches him. Proves the broker still serves others. */
async function victimStillServed(): Promise<void> {
  const bob = await browser('bob');
  const topic = scheme.topic({ userId: 'bob', chatId: `c${Math.random().toString(36).slice(2, 8)}` }, 'stream');
  await bob.subscribeAsync(topic, { qos: 1 });
  const received = new Promise<string>((resolve) => bob.once('message', (_topic, payload) => resolve(payload.toString())));
  await worker.publishAsync(topic, 'for bob', { qos: 1 });
  expect(await received).toBe('for bob');
  await bob.endAsync(true);
}

describe('F1: bytes before CONNECT and the announced packet size are capped as they arrive', () => {
  test.each([
    ['tcp', rawTcp, () => broker.mqttUrl],
    ['websocket', rawWebSocket, () => broker.wsUrl],
  ] as const)('a CONNECT announcing 268 MB over %s is closed before the body is buffered', async (_name, open, url) => {
    const before = broker.stats().refused.bytesBeforeConnect;
    const attacker = await open(url());
    await attacker.send(announcedHeader(0x10, 268_435_455));
    // 200 KiB at a time, each below the WebSocket frame limit, as measured in issue 14.
    const sent = await sendUntilClosed(attacker, Buffer.alloc(200 * 1024, 1), FLOOD_BYTES);
    await attacker.closed;
    expect(sent).toBeLessThan(FLOOD_BYTES);
    expect(broker.stats().refused.bytesBeforeConnect).toBe(before + 1);
    await victimStillServed();
  });

  test('an authenticated browser announcing a 100 MB PUBLISH in WebSocket-sized pieces is closed at the header', async () => {
    const before = broker.stats().refused.packetTooLarge;
    const attacker = await rawBrowser(rawWebSocket, broker.wsUrl, 'mallory');
    await attacker.send(announcedHeader(0x30, 100 * 1024 * 1024));
    const sent = await sendUntilClosed(attacker, Buffer.alloc(200 * 1024, 1), FLOOD_BYTES);
    await attacker.closed;
    expect(sent).toBeLessThan(FLOOD_BYTES);
    expect(broker.stats().refused.packetTooLarge).toBe(before + 1);
  });

  test('a legitimate CONNECT and packets up to the principal budget still pass', async () => {
    const alice = await browser('alice');
    const topic = scheme.topic({ userId: 'alice', chatId: 'big' }, 'request');
    await worker.subscribeAsync(topic, { qos: 1 });
    const received = new Promise<number>((resolve) => worker.once('message', (_topic, payload) => resolve(payload.length)));
    await alice.publishAsync(topic, Buffer.alloc(200 * 1024, 7), { qos: 1 });
    expect(await received).toBe(200 * 1024);
    await alice.endAsync(true);
  });
});

describe('F5: a client that stops reading is dropped at its outbound budget; publishers never wait on it', () => {
  test.each([
    ['websocket', rawWebSocket, () => broker.wsUrl],
    ['tcp', rawTcp, () => broker.mqttUrl],
  ] as const)('over %s', async (_name, open, url) => {
    const before = broker.stats().refused.outboundOverflow;
    const topic = scheme.topic({ userId: 'mallory', chatId: `slow${_name}` }, 'stream');
    const attacker = await rawBrowser(open, url(), 'mallory');
    await attacker.send(subscribePacket(topic));
    expect([...(await attacker.receive(5))]).toEqual([0x90, 3, 0, 1, 0]);
    attacker.stopReading();
    // 32 MiB for a reader that takes nothing: far past the kernel's buffers and the 1 MiB budget.
    // Every publish is acknowledged: the broker never waits for the slow socket to drain.
    const chunk = Buffer.alloc(256 * 1024, 3);
    for (let i = 0; i < 128; i++) await worker.publishAsync(topic, chunk, { qos: 1 });
    await expect.poll(() => broker.stats().refused.outboundOverflow, { timeout: 20_000 }).toBe(before + 1);
    await victimStillServed();
    attacker.destroy();
  });
});

describe('F6 and F8: session rules', () => {
  test('F6: a browser may not open a persistent session (its queue would grow for nobody)', async () => {
    const credentials = await issuer.issue({ userId: 'mallory', ttlSeconds: 300 });
    const attempt = await tryConnect(broker.wsUrl, { username: credentials.username, password: credentials.password, clientId: credentials.clientId, protocolVersion: 4, clean: false });
    expect(attempt).toMatchObject({ accepted: false, error: expect.stringMatching(/not authori[sz]ed/i) });
  });

  test("F8: another user's client id, a free-form id and an infrastructure id are refused; the victim stays connected", async () => {
    const aliceCredentials = await issuer.issue({ userId: 'alice', ttlSeconds: 300 });
    const alice = await connect(broker.wsUrl, { username: aliceCredentials.username, password: aliceCredentials.password, clientId: aliceCredentials.clientId, protocolVersion: 4 });
    const mallory = await issuer.issue({ userId: 'mallory', ttlSeconds: 300 });
    // The issuer never hands out another user's id, even when asked for it.
    const asked = await issuer.issue({ userId: 'mallory', ttlSeconds: 300, clientId: aliceCredentials.clientId });
    expect(asked.clientId).toMatch(/^mallory_[A-Za-z0-9]{12}$/);
    for (const clientId of [aliceCredentials.clientId!, `${aliceCredentials.clientId}x`, 'alice', 'csk_free', service.clientId, 'mallory_', 'mallory_a-b']) {
      const attempt = await tryConnect(broker.wsUrl, { username: mallory.username, password: mallory.password, clientId, protocolVersion: 4 });
      expect({ clientId, accepted: attempt.accepted }).toEqual({ clientId, accepted: false });
    }
    expect(alice.connected).toBe(true);
    expect(worker.connected).toBe(true);
    await alice.endAsync(true);
  });
});

describe('F15: subscriptions per browser client', () => {
  test(`past ${DEFAULT_BROKER_LIMITS.maxSubscriptionsPerClient} filters new ones get SUBACK 0x80; held ones are re-granted; unsubscribing frees room`, async () => {
    const limit = DEFAULT_BROKER_LIMITS.maxSubscriptionsPerClient;
    const before = broker.stats().refused.subscriptions;
    const mallory = await browser('mallory');
    const filters = Array.from({ length: limit + 40 }, (_, i) => scheme.topic({ userId: 'mallory', chatId: `s${i}` }, 'stream'));
    const granted = await subscribeCodes(mallory, filters);
    expect(granted.filter((code) => code !== 128)).toHaveLength(limit);
    expect(broker.stats().refused.subscriptions).toBe(before + 40);
    const held = filters[granted.indexOf(0)];
    const refused = filters[granted.indexOf(128)];
    expect(await subscribeCodes(mallory, [held])).toEqual([0]);
    expect(await subscribeCodes(mallory, [refused])).toEqual([128]);
    await mallory.unsubscribeAsync(held);
    expect(await subscribeCodes(mallory, [refused])).toEqual([0]);
    await mallory.endAsync(true);
    await victimStillServed();
  });
});

describe('retained state per user', () => {
  test("one user's retained flood clears that user's oldest retained messages, never another user's", async () => {
    const bobStatus = scheme.topic({ userId: 'bob', chatId: 'kept' }, 'status');
    await worker.publishAsync(bobStatus, 'bob status', { qos: 1, retain: true });
    const flood = Array.from({ length: 300 }, (_, i) => scheme.topic({ userId: 'mallory', chatId: `r${i}` }, 'status'));
    for (const topic of flood) await worker.publishAsync(topic, 'x'.repeat(100), { qos: 1, retain: true });
    const { retained } = broker.stats();
    expect(retained.evicted).toBeGreaterThanOrEqual(250);
    // mallory holds at most her 50; bob keeps his one.
    expect(retained.messages).toBeLessThanOrEqual(51);

    // What the broker holds, read from its persistence (what a new subscriber would be sent).
    const retainedOn = async (topic: string) => {
      const persistence = (broker.aedes as unknown as { persistence: { createRetainedStream(pattern: string): AsyncIterable<{ payload: Buffer }> } }).persistence;
      for await (const packet of persistence.createRetainedStream(topic)) return packet.payload.toString();
      return null;
    };
    expect(await retainedOn(bobStatus)).toBe('bob status');
    expect(await retainedOn(flood.at(-1)!)).toBe('x'.repeat(100));
    expect(await retainedOn(flood[0])).toBeNull();
  });
});

describe('MQTT 5 clients (issue 15 F12)', () => {
  test('get CONNACK "unacceptable protocol version" and a log line saying the broker speaks MQTT 3.1.1', async () => {
    const before = broker.stats().refused.protocolVersion;
    for (const url of [broker.mqttUrl, broker.wsUrl]) {
      const attempt = await mqtt.connectAsync(url, { protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 10_000 }).then(
        async (client) => (await client.endAsync(true), 'accepted'),
        (error: Error) => error.message,
      );
      expect(attempt).toMatch(/unacceptable protocol version/i);
    }
    expect(broker.stats().refused.protocolVersion).toBe(before + 2);
    expect(logs.filter((line) => /protocol version 5.*speaks MQTT 3\.1\.1/.test(line))).toHaveLength(2);
  });
});

test('stats() reports every budget with its default', () => {
  const { limits } = broker.stats();
  expect(limits).toEqual({ ...DEFAULT_BROKER_LIMITS, maxRetainedPerUser: 50, maxRetainedBytesPerUser: 64 * 1024, browserMaxPacketSize: 256 * 1024, serviceMaxPacketSize: 8 * 1024 * 1024 });
});

describe("F9/F13: one user's inbound bytes are read at that user's rate, never dropped", () => {
  test('a flood of large requests is slowed to the budget and arrives whole; another user is not slowed', async () => {
    const small = await startEmbeddedBroker({
      port: 0,
      wsPort: 0,
      auth: { jwtSecret: SECRET, serviceAccounts: [service] },
      // 512 KiB at 128 KiB/s after a 64 KiB burst: unthrottled only if sent over more than 3 s.
      limits: { maxInboundBytesPerSecond: 128 * 1024, inboundBurstBytes: 64 * 1024 },
      log: () => undefined,
    });
    const sink = await connect(small.mqttUrl, { ...service, protocolVersion: 4 });
    const as = async (userId: string) => {
      const credentials = await issuer.issue({ userId, ttlSeconds: 300 });
      return connect(small.wsUrl, { username: credentials.username, password: credentials.password, clientId: credentials.clientId, protocolVersion: 4 });
    };
    try {
      const received: string[] = [];
      const mallorysTopic = scheme.topic({ userId: 'mallory', chatId: 'big' }, 'request');
      const bobsTopic = scheme.topic({ userId: 'bob', chatId: 'small' }, 'request');
      await sink.subscribeAsync([mallorysTopic, bobsTopic], { qos: 1 });
      sink.on('message', (topic, payload) => received.push(`${topic === bobsTopic ? 'bob' : 'mallory'}:${payload.length}:${payload[0]}`));

      const mallory = await as('mallory');
      await Promise.all(Array.from({ length: 16 }, (_, i) => mallory.publishAsync(mallorysTopic, Buffer.alloc(32 * 1024, i), { qos: 1 })));
      await expect.poll(() => received.filter((line) => line.startsWith('mallory')).length, { timeout: 30_000 }).toBe(16);
      // Every byte arrived, in order: slowed, not dropped.
      expect(received).toEqual(Array.from({ length: 16 }, (_, i) => `mallory:${32 * 1024}:${i}`));
      const throttled = small.stats().inboundThrottled;
      expect(throttled).toBeGreaterThan(0);

      // Bob's budget is his own: his request is read at once.
      const bob = await as('bob');
      await bob.publishAsync(bobsTopic, Buffer.alloc(32 * 1024, 7), { qos: 1 });
      await expect.poll(() => received.includes(`bob:${32 * 1024}:7`), { timeout: 30_000 }).toBe(true);
      expect(small.stats().inboundThrottled).toBe(throttled);
      await Promise.all([mallory.endAsync(true), bob.endAsync(true)]);
    } finally {
      await sink.endAsync(true);
      await small.close();
    }
  });
});
