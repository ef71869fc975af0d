import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createMockBroker,
  isValidTopicFilter,
  topicMatches,
  type MockBroker,
  type MockBrokerOptions,
  type MockConnectOptions,
  type MockMqttClient,
  type MockPublishPacket,
} from '../../src/testing/mock-broker.js';
import { publishAsync, subscribeAsync, type MqttClientLike, type PublishOptions } from '../../src/transport/mqtt-client.js';

const decoder = new TextDecoder();
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface Received {
  topic: string;
  text: string;
  retain: boolean;
  qos: number;
}

let brokers: MockBroker[] = [];

afterEach(async () => {
  await Promise.all(brokers.map((broker) => broker.close()));
  brokers = [];
});

function startBroker(options?: MockBrokerOptions): MockBroker {
  const broker = createMockBroker(options);
  brokers.push(broker);
  return broker;
}

function nextEvent(client: MockMqttClient, event: 'connect' | 'close' | 'offline' | 'reconnect' | 'end'): Promise<void> {
  return new Promise((resolve) => client.once(event, () => resolve()));
}

async function connectClient(broker: MockBroker, options?: MockConnectOptions): Promise<MockMqttClient> {
  const client = broker.connect(options);
  await nextEvent(client, 'connect');
  return client;
}

/** Records every message a client receives, payloads decoded. */
function record(client: MockMqttClient): Received[] {
  const received: Received[] = [];
  client.on('message', (topic, payload, packet) => {
    const { retain, qos } = packet as MockPublishPacket;
    received.push({ topic, text: decoder.decode(payload), retain, qos });
  });
  return received;
}

function publishWithCallback(client: MqttClientLike, topic: string, payload: string, options: PublishOptions = {}): Promise<Error | undefined> {
  return new Promise((resolve) => client.publish(topic, payload, options, (error) => resolve(error)));
}

describe('topic filters', () => {
  it.each([
    ['a/b/c', 'a/b/c', true],
    ['a/b/c', 'a/b', false],
    ['a/+/c', 'a/b/c', true],
    ['a/+/c', 'a/b/d', false],
    ['a/+', 'a/b/c', false],
    ['+/+', '/finance', true],
    ['/+', '/finance', true],
    ['+', '/finance', false],
    ['a/#', 'a', true],
    ['a/#', 'a/b/c', true],
    ['a/#', 'ab', false],
    ['#', 'a/b', true],
    ['#', '$SYS/broker', false],
    ['+/broker', '$SYS/broker', false],
    ['$SYS/#', '$SYS/broker', true],
    ['$SYS/+', '$SYS/broker', true],
    ['chat/+/+/request', 'chat/u1/c1/request', true],
    ['chat/+/+/request', 'chat/u1/c1/control', false],
    ['chat/u1/c1/replay/+', 'chat/u1/c1/replay/tab-1', true],
    ['a//c', 'a//c', true],
    ['a/+/c', 'a//c', true],
  ])('%s matches %s: %s', (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected);
  });

  it.each([
    ['a/b', true],
    ['#', true],
    ['a/#', true],
    ['+/+/#', true],
    ['a/#/b', false],
    ['a#', false],
    ['a/b+', false],
    ['', false],
  ])('filter %j valid: %s', (filter, expected) => {
    expect(isValidTopicFilter(filter)).toBe(expected);
  });
});

describe('connecting', () => {
  it('connects asynchronously and exposes its client id', async () => {
    const broker = startBroker();
    const client = broker.connect({ clientId: 'tab-1' });
    expect(client.connected).toBe(false);
    expect(client.options.clientId).toBe('tab-1');
    await nextEvent(client, 'connect');
    expect(client.connected).toBe(true);
    expect(broker.clients()).toEqual(['tab-1']);
  });

  it('waits connectDelayMs before connecting', async () => {
    vi.useFakeTimers();
    try {
      const broker = startBroker();
      const client = broker.connect({ connectDelayMs: 30 });
      await vi.advanceTimersByTimeAsync(29);
      expect(client.connected).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(client.connected).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('gives each client a unique id by default', () => {
    const broker = startBroker();
    expect(broker.connect().options.clientId).not.toBe(broker.connect().options.clientId);
  });

  it('refuses credentials the authenticate option rejects', async () => {
    const broker = startBroker({ authenticate: ({ username, password }) => username === 'u' && password === 'right' });
    const refused = broker.connect({ username: 'u', password: 'wrong' });
    const closed = nextEvent(refused, 'close');
    const error = await new Promise<Error>((resolve) => refused.on('error', resolve));
    expect(error.message).toMatch(/Not authorized/);
    expect((error as Error & { code: number }).code).toBe(5);
    await closed;
    expect(refused.connected).toBe(false);
    await connectClient(broker, { username: 'u', password: 'right' });
  });

  it('ends the first connection when a second one takes its client id', async () => {
    const broker = startBroker();
    const first = await connectClient(broker, { clientId: 'same' });
    const closed = nextEvent(first, 'close');
    const second = await connectClient(broker, { clientId: 'same' });
    await closed;
    expect(first.connected).toBe(false);
    expect(second.connected).toBe(true);
  });
});

describe('publish and subscribe', () => {
  it('delivers to matching subscribers, asynchronously, with Uint8Array payloads', async () => {
    const broker = startBroker();
    const subscriber = await connectClient(broker);
    const publisher = await connectClient(broker);
    const received = record(subscriber);
    let payloadType = '';
    subscriber.on('message', (_topic, payload) => (payloadType = payload.constructor.name));
    await subscribeAsync(subscriber, 'chat/+/c1/#', 1);

    publisher.publish('chat/u1/c1/stream', 'hello', { qos: 0 });
    publisher.publish('chat/u1/c2/stream', 'other chat', { qos: 0 });
    publisher.publish('chat/u1/c1', new Uint8Array([104, 105]), { qos: 1 });
    expect(received).toEqual([]);
    await sleep(5);

    expect(received).toEqual([
      { topic: 'chat/u1/c1/stream', text: 'hello', retain: false, qos: 0 },
      { topic: 'chat/u1/c1', text: 'hi', retain: false, qos: 1 },
    ]);
    expect(payloadType).toBe('Uint8Array');
    expect(broker.stats).toMatchObject({ published: 3, delivered: 2 });
  });

  it('delivers one copy to a client whose subscriptions overlap, at their highest QoS', async () => {
    const broker = startBroker();
    const client = await connectClient(broker);
    const received = record(client);
    await subscribeAsync(client, ['a/#', 'a/b'], 0);
    await subscribeAsync(client, 'a/+', 1);
    broker.inject('a/b', 'x', { qos: 1 });
    await sleep(5);
    expect(received).toEqual([{ topic: 'a/b', text: 'x', retain: false, qos: 1 }]);
  });

  it('downgrades delivery to the subscription QoS', async () => {
    const broker = startBroker();
    const client = await connectClient(broker);
    const received = record(client);
    await subscribeAsync(client, 'a', 0);
    broker.inject('a', 'x', { qos: 1 });
    await sleep(5);
    expect(received[0].qos).toBe(0);
  });

  it('stops delivering after unsubscribe', async () => {
    const broker = startBroker();
    const client = await connectClient(broker);
    const received = record(client);
    await subscribeAsync(client, 'a', 1);
    await new Promise<void>((resolve) => client.unsubscribe('a', () => resolve()));
    broker.inject('a', 'x');
    await sleep(5);
    expect(received).toEqual([]);
    expect(broker.subscriptions(client.options.clientId)).toEqual([]);
  });

  it('keeps the order of one publisher to one subscriber', async () => {
    const broker = startBroker({ latencyMs: 2 });
    const subscriber = await connectClient(broker);
    const publisher = await connectClient(broker);
    const received = record(subscriber);
    await subscribeAsync(subscriber, 'n', 0);
    for (let i = 0; i < 100; i++) {
      publisher.publish('n', String(i), { qos: (i % 2) as 0 | 1 });
      if (i === 50) broker.setLatency(0);
    }
    await sleep(20);
    expect(received.map((m) => Number(m.text))).toEqual([...Array(100).keys()]);
  });

  it('reports subscriptions and refuses invalid filters with 128', async () => {
    const broker = startBroker();
    const client = await connectClient(broker, { clientId: 'w1' });
    const grants = await subscribeAsync(client, ['chat/+/+/request', 'bad/#/filter', '$share/workers/chat/+/+/request'], 1);
    expect(grants).toEqual([
      { topic: 'chat/+/+/request', qos: 1 },
      { topic: 'bad/#/filter', qos: 128 },
      { topic: '$share/workers/chat/+/+/request', qos: 1 },
    ]);
    expect(broker.subscriptions()).toEqual([
      { clientId: 'w1', topic: 'chat/+/+/request', qos: 1 },
      { clientId: 'w1', topic: '$share/workers/chat/+/+/request', qos: 1, group: 'workers' },
    ]);
  });

  it('inject encodes string payloads and rejects wildcard topics', async () => {
    const broker = startBroker();
    const client = await connectClient(broker);
    const received = record(client);
    await subscribeAsync(client, '#');
    broker.inject('x/y', 'héllo');
    await sleep(5);
    expect(received[0].text).toBe('héllo');
    expect(() => broker.inject('x/+', 'no')).toThrow(/Invalid topic/);
  });
});

describe('retained messages', () => {
  it('stores, delivers to new subscribers with the retain flag, and clears on an empty payload', async () => {
    const broker = startBroker();
    const publisher = await connectClient(broker);
    const existing = await connectClient(broker);
    const existingReceived = record(existing);
    await subscribeAsync(existing, 'chat/u1/c1/status');

    await publishAsync(publisher, 'chat/u1/c1/status', '{"state":"done"}', { qos: 1, retain: true });
    expect(decoder.decode(broker.retained('chat/u1/c1/status')!.payload)).toBe('{"state":"done"}');
    await sleep(5);
    // Live delivery to a subscriber that was already there carries retain=false.
    expect(existingReceived).toEqual([{ topic: 'chat/u1/c1/status', text: '{"state":"done"}', retain: false, qos: 1 }]);

    const late = await connectClient(broker);
    const lateReceived = record(late);
    await subscribeAsync(late, 'chat/u1/+/status', 1);
    await sleep(5);
    expect(lateReceived).toEqual([{ topic: 'chat/u1/c1/status', text: '{"state":"done"}', retain: true, qos: 1 }]);

    await publishAsync(publisher, 'chat/u1/c1/status', new Uint8Array(0), { qos: 1, retain: true });
    expect(broker.retained('chat/u1/c1/status')).toBeUndefined();
    const later = await connectClient(broker);
    const laterReceived = record(later);
    await subscribeAsync(later, 'chat/#');
    await sleep(5);
    expect(laterReceived).toEqual([]);
  });

  it('calls the subscribe callback before the retained messages arrive', async () => {
    const broker = startBroker();
    broker.inject('r', 'kept', { retain: true });
    const client = await connectClient(broker);
    const events: string[] = [];
    client.on('message', (topic) => events.push(`message ${topic}`));
    await new Promise<void>((resolve) =>
      client.subscribe('r', { qos: 0 }, () => {
        events.push('suback');
        resolve();
      }),
    );
    await sleep(5);
    expect(events).toEqual(['suback', 'message r']);
  });

  it('does not send retained messages to a new shared subscription', async () => {
    const broker = startBroker();
    broker.inject('jobs/1', 'old', { retain: true });
    const worker = await connectClient(broker);
    const received = record(worker);
    await subscribeAsync(worker, '$share/g/jobs/+');
    await sleep(5);
    expect(received).toEqual([]);
  });
});

describe('shared subscriptions', () => {
  it('delivers each message to one member of each group, round-robin', async () => {
    const broker = startBroker();
    const workers = await Promise.all([1, 2, 3].map((n) => connectClient(broker, { clientId: `w${n}` })));
    const received = workers.map(record);
    const observer = await connectClient(broker);
    const observed = record(observer);
    const otherGroup = await connectClient(broker);
    const otherGroupReceived = record(otherGroup);
    for (const worker of workers) await subscribeAsync(worker, '$share/workers/chat/+/+/request', 1);
    await subscribeAsync(observer, 'chat/+/+/request', 1);
    await subscribeAsync(otherGroup, '$share/audit/chat/#', 1);

    for (let i = 0; i < 6; i++) broker.inject(`chat/u${i}/c/request`, String(i), { qos: 1 });
    await sleep(5);

    expect(received.map((messages) => messages.map((m) => m.text))).toEqual([
      ['0', '3'],
      ['1', '4'],
      ['2', '5'],
    ]);
    expect(observed).toHaveLength(6);
    expect(otherGroupReceived).toHaveLength(6);
  });

  it('stops sending to a member that left the group', async () => {
    const broker = startBroker();
    const a = await connectClient(broker);
    const b = await connectClient(broker);
    const receivedA = record(a);
    const receivedB = record(b);
    await subscribeAsync(a, '$share/g/t');
    await subscribeAsync(b, '$share/g/t');
    broker.dropClient(b.options.clientId);
    for (let i = 0; i < 3; i++) broker.inject('t', String(i));
    await sleep(5);
    expect(receivedA).toHaveLength(3);
    expect(receivedB).toHaveLength(0);
  });

  it('grants but never delivers when the broker does not support them (like Aedes)', async () => {
    const broker = startBroker({ supportsSharedSubscriptions: false });
    const worker = await connectClient(broker);
    const received = record(worker);
    const grants = await subscribeAsync(worker, '$share/workers/chat/+/+/request', 1);
    expect(grants).toEqual([{ topic: '$share/workers/chat/+/+/request', qos: 1 }]);
    broker.inject('chat/u/c/request', 'lost', { qos: 1 });
    await sleep(5);
    expect(received).toEqual([]);
    expect(broker.stats.dropped).toBe(1);
  });
});

describe('QoS callbacks', () => {
  it('completes QoS 0 publishes at once and QoS 1 publishes after the acknowledgement', async () => {
    vi.useFakeTimers();
    try {
      const broker = startBroker({ latencyMs: 80 });
      const client = await connectClient(broker);
      // QoS 0: done with no (fake) time passing.
      expect(await publishWithCallback(client, 'a', 'x', { qos: 0 })).toBeUndefined();
      let acked = false;
      const ack = publishWithCallback(client, 'a', 'x', { qos: 1 }).then(() => (acked = true));
      await vi.advanceTimersByTimeAsync(79);
      expect(acked).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await ack;
      expect(acked).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('fails publishes while not connected, at any QoS, and after end()', async () => {
    const broker = startBroker();
    const client = broker.connect();
    const connected = nextEvent(client, 'connect');
    expect((await publishWithCallback(client, 'a', 'x', { qos: 0 }))?.message).toBe('No connection to broker');
    await connected;
    broker.dropClient(client.options.clientId);
    expect((await publishWithCallback(client, 'a', 'x', { qos: 1 }))?.message).toBe('No connection to broker');
    await client.endAsync();
    expect((await publishWithCallback(client, 'a', 'x', { qos: 1 }))?.message).toBe('client disconnecting');
  });

  it('fails a QoS 1 callback whose acknowledgement was lost with the connection', async () => {
    const broker = startBroker({ latencyMs: 50 });
    const client = await connectClient(broker);
    const outcome = publishWithCallback(client, 'a', 'x', { qos: 1 });
    broker.dropClient(client.options.clientId);
    expect((await outcome)?.message).toBe('Connection closed');
    // The broker had the message already, as a real broker may.
    expect(broker.stats.published).toBe(1);
  });

  it('answers a subscribe made before connecting once connected', async () => {
    const broker = startBroker();
    broker.inject('r', 'kept', { retain: true });
    const client = broker.connect();
    const received = record(client);
    const grants = await subscribeAsync(client, ['r', 'a/#'], 1);
    expect(client.connected).toBe(true);
    expect(grants).toEqual([
      { topic: 'r', qos: 1 },
      { topic: 'a/#', qos: 1 },
    ]);
    await sleep(5);
    expect(received.map((m) => m.text)).toEqual(['kept']);
  });
});

describe('fault injection', () => {
  it('dropClient: close then offline, messages meanwhile are lost, reconnect() restores subscriptions', async () => {
    const broker = startBroker();
    broker.inject('chat/u/c/status', 'retained', { retain: true });
    const client = await connectClient(broker, { clientId: 'tab' });
    const received = record(client);
    await subscribeAsync(client, ['chat/u/c/stream', 'chat/u/c/status'], 1);
    await sleep(5);
    const events: string[] = [];
    for (const event of ['close', 'offline', 'reconnect', 'connect'] as const) client.on(event, () => events.push(event));

    expect(broker.dropClient('tab')).toBe(true);
    expect(events).toEqual(['close', 'offline']);
    expect(client.connected).toBe(false);
    expect(broker.clients()).toEqual([]);
    expect(broker.subscriptions('tab')).toEqual([]);

    broker.inject('chat/u/c/stream', 'while offline');
    await sleep(20);
    expect(client.connected).toBe(false); // reconnectPeriod 0: no automatic reconnect

    client.reconnect();
    await nextEvent(client, 'connect');
    expect(events).toEqual(['close', 'offline', 'reconnect', 'connect']);
    expect(broker.subscriptions('tab').map((s) => s.topic)).toEqual(['chat/u/c/stream', 'chat/u/c/status']);
    broker.inject('chat/u/c/stream', 'after');
    await sleep(5);
    expect(received.map((m) => `${m.text}${m.retain ? ' (retained)' : ''}`)).toEqual(['retained (retained)', 'retained (retained)', 'after']);
  });

  it('loses queued messages of a dropped client and counts them', async () => {
    const broker = startBroker({ latencyMs: 30 });
    const client = await connectClient(broker, { clientId: 'tab' });
    const received = record(client);
    await subscribeAsync(client, 'a');
    broker.inject('a', '1');
    broker.inject('a', '2');
    broker.dropClient('tab');
    await sleep(50);
    expect(received).toEqual([]);
    expect(broker.stats.dropped).toBe(2);
  });

  it('reconnects by itself after reconnectPeriod, and keeps trying while the broker is offline', async () => {
    const broker = startBroker();
    const client = await connectClient(broker, { clientId: 'worker', reconnectPeriod: 10 });
    const events: string[] = [];
    for (const event of ['close', 'offline', 'reconnect', 'connect'] as const) client.on(event, () => events.push(event));

    broker.setOffline(true);
    expect(client.connected).toBe(false);
    await sleep(45);
    expect(client.connected).toBe(false);
    // Each refused attempt: reconnect then close; offline only once per outage.
    expect(events.slice(0, 4)).toEqual(['close', 'offline', 'reconnect', 'close']);
    expect(events.filter((e) => e === 'offline')).toHaveLength(1);

    broker.setOffline(false);
    await nextEvent(client, 'connect');
    expect(client.connected).toBe(true);
    expect(broker.clients()).toEqual(['worker']);
  });

  it('refuses new connections while offline', async () => {
    const broker = startBroker();
    broker.setOffline(true);
    const client = broker.connect();
    await nextEvent(client, 'close');
    expect(client.connected).toBe(false);
    broker.setOffline(false);
    client.reconnect();
    await nextEvent(client, 'connect');
  });

  it('dropMessages loses matching messages to one client until disposed', async () => {
    const broker = startBroker();
    const a = await connectClient(broker, { clientId: 'a' });
    const b = await connectClient(broker, { clientId: 'b' });
    const receivedA = record(a);
    const receivedB = record(b);
    await subscribeAsync(a, 'stream');
    await subscribeAsync(b, 'stream');

    const restore = broker.dropMessages((topic, payload, to) => topic === 'stream' && to === 'a' && decoder.decode(payload) !== 'keep');
    broker.inject('stream', '1');
    broker.inject('stream', 'keep');
    await sleep(5);
    restore();
    broker.inject('stream', '3');
    await sleep(5);

    expect(receivedA.map((m) => m.text)).toEqual(['keep', '3']);
    expect(receivedB.map((m) => m.text)).toEqual(['1', 'keep', '3']);
    expect(a.connected).toBe(true);
    expect(broker.stats.dropped).toBe(1);
  });

  it('stall holds deliveries to one client, then flushes them in order', async () => {
    const broker = startBroker();
    const stalled = await connectClient(broker, { clientId: 'slow' });
    const other = await connectClient(broker, { clientId: 'fast' });
    const receivedSlow = record(stalled);
    const receivedFast = record(other);
    await subscribeAsync(stalled, 'n');
    await subscribeAsync(other, 'n');

    broker.stall('slow', 150);
    for (let i = 0; i < 5; i++) broker.inject('n', String(i));
    await sleep(10);
    expect(receivedFast).toHaveLength(5);
    expect(receivedSlow).toHaveLength(0);
    const ack = publishWithCallback(stalled, 'x', 'y', { qos: 1 });
    let acked = false;
    void ack.then(() => (acked = true));
    await sleep(10);
    expect(acked).toBe(false); // acknowledgements wait on the stalled downlink too
    await sleep(170);
    expect(receivedSlow.map((m) => m.text)).toEqual(['0', '1', '2', '3', '4']);
    expect(acked).toBe(true);
  });

  it('latency delays delivery by latencyMs and setLatency changes it', async () => {
    vi.useFakeTimers();
    try {
      const broker = startBroker({ latencyMs: 40 });
      const client = await connectClient(broker);
      const arrivals: number[] = [];
      client.on('message', () => arrivals.push(Date.now()));
      const subscribed = subscribeAsync(client, 't');
      await vi.advanceTimersByTimeAsync(40); // the SUBACK comes down the same slow link
      await subscribed;

      let sentAt = Date.now();
      broker.inject('t', 'slow');
      await vi.advanceTimersByTimeAsync(39);
      expect(arrivals).toHaveLength(0);
      await vi.advanceTimersByTimeAsync(1);
      expect(arrivals).toEqual([sentAt + 40]);

      broker.setLatency(0);
      sentAt = Date.now();
      broker.inject('t', 'fast');
      await vi.advanceTimersByTimeAsync(0);
      expect(arrivals).toHaveLength(2);
      expect(arrivals[1]).toBe(sentAt);
    } finally {
      vi.useRealTimers();
    }
  });

  it('close() ends every client and refuses new ones', async () => {
    const broker = createMockBroker();
    const client = await connectClient(broker, { reconnectPeriod: 5 });
    const ended = nextEvent(client, 'end');
    await broker.close();
    await ended;
    expect(client.connected).toBe(false);
    const late = broker.connect();
    await nextEvent(late, 'close');
    late.end();
  });

  it('end() emits close then end and stops automatic reconnects', async () => {
    const broker = startBroker();
    const client = await connectClient(broker, { reconnectPeriod: 5 });
    const events: string[] = [];
    for (const event of ['close', 'end', 'reconnect', 'connect'] as const) client.on(event, () => events.push(event));
    await client.endAsync();
    await sleep(20);
    expect(events).toEqual(['close', 'end']);
    expect(broker.clients()).toEqual([]);
  });
});
