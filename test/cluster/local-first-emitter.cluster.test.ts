/**
 * The clustered broker's emitter (`makeLocalFirst` over `mqemitter-redis`), two nodes' wirings on
 * one real Redis: a node's own subscribers get its publishes without waiting for Redis, the other
 * node gets each exactly once and in order, and a frame that is not ours is dropped and counted.
 */
import { connect } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { joinBrokerCluster, type BrokerClusterWiring } from '../../src/broker/index.js';
import { startRedis, type RedisHandle } from '../helpers/redis.js';

interface Packet {
  topic: string;
  payload: Buffer;
  [field: string]: unknown;
}
/** The emitter surface Aedes uses. */
interface Emitter {
  on(topic: string, listener: (packet: Packet, done: () => void) => void, subscribed?: () => void): void;
  emit(packet: Packet, done?: (error?: Error) => void): void;
}
const emitterOf = (wiring: BrokerClusterWiring) => wiring.aedes.mq as unknown as Emitter;

/** Collects what a listener got; `next(n)` resolves once it has n packets. */
function collector(emitter: Emitter, topic: string) {
  const got: Packet[] = [];
  let waiting: { n: number; resolve: () => void } | undefined;
  const subscribed = new Promise<void>((resolve) =>
    emitter.on(
      topic,
      (packet, done) => {
        got.push(packet);
        if (waiting && got.length >= waiting.n) waiting.resolve();
        done();
      },
      resolve,
    ),
  );
  return {
    got,
    subscribed,
    next: (n: number) => (got.length >= n ? Promise.resolve() : new Promise<void>((resolve) => (waiting = { n, resolve }))),
  };
}

const packet = (topic: string, text: string): Packet => ({ cmd: 'publish', topic, payload: Buffer.from(text), qos: 0, retain: false, dup: false, brokerId: 'test', brokerCounter: 1 });

/** PUBLISH straight to Redis, as a client of another format would. */
function rawPublish(port: number, channel: string, message: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write([`*3`, `$7`, 'PUBLISH', `$${Buffer.byteLength(channel)}`, channel, `$${Buffer.byteLength(message)}`, message, ''].join('\r\n')));
    socket.once('data', () => (socket.end(), resolve()));
    socket.once('error', reject);
  });
}

describe('local-first cluster emitter (two nodes on one Redis)', () => {
  let redis: RedisHandle;
  let a: BrokerClusterWiring;
  let b: BrokerClusterWiring;
  beforeAll(async () => {
    redis = await startRedis();
    a = await joinBrokerCluster({ redisUrl: redis.url });
    b = await joinBrokerCluster({ redisUrl: redis.url });
  });
  // A test that fails while Redis is stopped must not leave it stopped for the next ones.
  afterEach(() => {
    if (redis) process.kill(redis.pid, 'SIGCONT');
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis?.stop();
  });

  test("a node's own subscriber gets its publish while Redis is stalled; the other node gets it once Redis runs again", async () => {
    const local = collector(emitterOf(a), 'chat/u1/c1/stream');
    const remote = collector(emitterOf(b), 'chat/u1/c1/stream');
    await Promise.all([local.subscribed, remote.subscribed]);
    process.kill(redis.pid, 'SIGSTOP');
    try {
      emitterOf(a).emit(packet('chat/u1/c1/stream', 'hello'));
      await local.next(1);
      expect(local.got[0].payload.toString()).toBe('hello');
      // Redis is stopped: nothing could have reached the other node.
      expect(remote.got).toHaveLength(0);
    } finally {
      process.kill(redis.pid, 'SIGCONT');
    }
    await remote.next(1);
    expect(remote.got.map((p) => p.payload.toString())).toEqual(['hello']);
    expect(remote.got[0]).toMatchObject({ topic: 'chat/u1/c1/stream', qos: 0, retain: false, brokerId: 'test' });
    // Its echo from Redis is dropped, not delivered a second time.
    await expect.poll(() => a.emitterStats.ownEchoes).toBeGreaterThanOrEqual(1);
    expect(local.got).toHaveLength(1);
  });

  test('a node matching a publish through two subscriptions gets each message once, in order', async () => {
    const wide = collector(emitterOf(b), 'chat/#');
    const narrow = collector(emitterOf(b), 'chat/+/c2/stream');
    const own = collector(emitterOf(a), 'chat/u2/c2/stream');
    await Promise.all([wide.subscribed, narrow.subscribed, own.subscribed]);
    const texts = Array.from({ length: 200 }, (_, i) => `token ${i}`);
    for (const text of texts) emitterOf(a).emit(packet('chat/u2/c2/stream', text));
    await Promise.all([wide.next(200), narrow.next(200), own.next(200)]);
    // MQEmitter calls each matching listener once per delivered message: a doubled delivery would
    // show as a doubled token in every listener.
    for (const listener of [wide, narrow, own]) expect(listener.got.map((p) => p.payload.toString())).toEqual(texts);
    expect(b.emitterStats.duplicates).toBeGreaterThanOrEqual(200);
  });

  test('a frame that is not ours is dropped and counted; later messages still arrive', async () => {
    const listener = collector(emitterOf(b), 'chat/u3/c3/stream');
    await listener.subscribed;
    const foreignBefore = b.emitterStats.foreign;
    await rawPublish(redis.port, 'chat/u3/c3/stream', 'not a frame');
    emitterOf(a).emit(packet('chat/u3/c3/stream', 'after'));
    await listener.next(1);
    expect(listener.got.map((p) => p.payload.toString())).toEqual(['after']);
    // Counted once per copy Redis delivered: once per matching subscription of the node (two here).
    expect(b.emitterStats.foreign).toBe(foreignBefore + 2);
  });

  test("relay 'via-redis' (mqemitter-redis as it is, for a rolling upgrade) still carries a publish to both nodes", async () => {
    const c = await joinBrokerCluster({ redisUrl: redis.url, relay: 'via-redis' });
    const d = await joinBrokerCluster({ redisUrl: redis.url, relay: 'via-redis' });
    try {
      const own = collector(emitterOf(c), 'chat/u4/c4/stream');
      const other = collector(emitterOf(d), 'chat/u4/c4/stream');
      await Promise.all([own.subscribed, other.subscribed]);
      emitterOf(c).emit(packet('chat/u4/c4/stream', 'old format'));
      await Promise.all([own.next(1), other.next(1)]);
      expect([own.got, other.got].map((got) => got.map((p) => p.payload.toString()))).toEqual([['old format'], ['old format']]);
      expect(c.emitterStats.sent).toBe(0);
    } finally {
      await c.close();
      await d.close();
    }
  });
});
