/**
 * `MessageDispatcher` and `WorkerMembership` on the mock broker: one dispatcher per client, filters
 * held by reference count, one resubscribe after a reconnect; presence decides who owns a chat and
 * who is gone, with fake timers for the heartbeats.
 */
import { afterEach, describe, expect, test, vi } from 'vitest';
import { MessageDispatcher } from '../../src/server/message-dispatcher.js';
import { WorkerMembership } from '../../src/server/worker-membership.js';
import { createMockBroker, type MockBroker } from '../../src/testing/index.js';
import { publishAsync } from '../../src/transport/mqtt-client.js';
import { topics } from '../helpers/protocol-client.js';

let broker: MockBroker;

afterEach(async () => {
  vi.useRealTimers();
  await broker?.close();
});

const connected = (client: { connected: boolean; on(event: 'connect', listener: () => void): unknown }) =>
  client.connected ? Promise.resolve() : new Promise<void>((resolve) => client.on('connect', () => resolve()));

describe('MessageDispatcher', () => {
  test('routes each message to the routes that accept it, and counts the rest', async () => {
    broker = createMockBroker();
    const client = broker.connect({ clientId: 'svc-w' });
    await connected(client);
    const dispatcher = MessageDispatcher.for(client);
    expect(MessageDispatcher.for(client)).toBe(dispatcher);
    const requests: string[] = [];
    const controls: string[] = [];
    await dispatcher.route({ filters: ['chat/+/+/request'], accepts: (topic) => topic.endsWith('/request'), handler: (topic) => requests.push(topic) }).ready;
    await dispatcher.routeExact('chat/ann/c1/control', (topic) => controls.push(topic)).ready;
    const sender = broker.connect({ clientId: 'ann-tab' });
    await connected(sender);
    await publishAsync(sender, 'chat/ann/c1/request', 'r', { qos: 1 });
    await publishAsync(sender, 'chat/ann/c1/control', 'c', { qos: 1 });
    await expect.poll(() => [requests, controls]).toEqual([['chat/ann/c1/request'], ['chat/ann/c1/control']]);
  });

  test('a filter two routes need is subscribed once and dropped with the last route', async () => {
    broker = createMockBroker();
    const client = broker.connect({ clientId: 'svc-w' });
    await connected(client);
    const dispatcher = MessageDispatcher.for(client);
    const first = dispatcher.routeExact('chat/ann/c1/control', () => undefined);
    const second = dispatcher.routeExact('chat/ann/c1/control', () => undefined);
    await Promise.all([first.ready, second.ready]);
    const held = () => broker.subscriptions('svc-w').map((subscription) => subscription.topic);
    expect(held()).toEqual(['chat/ann/c1/control']);
    await first.release();
    expect(held()).toEqual(['chat/ann/c1/control']);
    await second.release();
    await expect.poll(held).toEqual([]);
  });

  test('after a reconnect every held filter is subscribed again and reconnect listeners run', async () => {
    broker = createMockBroker();
    const client = broker.connect({ clientId: 'svc-w' });
    await connected(client);
    const dispatcher = MessageDispatcher.for(client);
    await dispatcher.route({ filters: ['chat/+/+/request'], accepts: () => true, handler: () => undefined }).ready;
    let reconnects = 0;
    dispatcher.onReconnect(() => reconnects++);
    broker.dropClient('svc-w');
    client.reconnect();
    await connected(client);
    await expect.poll(() => reconnects).toBe(1);
    expect(broker.subscriptions('svc-w').map((subscription) => subscription.topic)).toEqual(['chat/+/+/request']);
  });
});

describe('WorkerMembership', () => {
  test('members agree on the owner of a chat; a member that leaves is absent at once', async () => {
    broker = createMockBroker();
    const [a, b] = ['svc-a', 'svc-b'].map((id) => new WorkerMembership(broker.connect({ clientId: id }), topics, 'g', id, 1_000));
    await Promise.all([a.start(), b.start()]);
    await expect.poll(() => [a.members, b.members]).toEqual([2, 2]);
    const chats = Array.from({ length: 20 }, (_, i) => `ann/c${i}`);
    expect(chats.map((chat) => a.owner(chat))).toEqual(chats.map((chat) => b.owner(chat)));
    expect(new Set(chats.map((chat) => a.owner(chat))).size).toBe(2);
    await b.stop();
    await expect.poll(() => a.isPresent('svc-b')).toBe(false);
    expect(chats.every((chat) => a.owns(chat))).toBe(true);
    await a.stop();
  });

  test('a member whose heartbeats stop is absent after three intervals, not before', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout', 'Date'] });
    broker = createMockBroker();
    const a = new WorkerMembership(broker.connect({ clientId: 'svc-a' }), topics, 'g', 'svc-a', 1_000);
    const b = new WorkerMembership(broker.connect({ clientId: 'svc-b' }), topics, 'g', 'svc-b', 1_000);
    const started = Promise.all([a.start(), b.start()]);
    await vi.advanceTimersByTimeAsync(10);
    await started;
    expect(a.isPresent('svc-b')).toBe(true);
    let ticks = 0;
    a.onTick(() => ticks++);
    // b's process hangs: its connection stays, its heartbeats stop.
    broker.dropMessages((topic, _payload, to) => to === 'svc-a' && topic.endsWith('/svc-b'));
    await vi.advanceTimersByTimeAsync(2_900);
    expect(a.isPresent('svc-b')).toBe(true);
    await vi.advanceTimersByTimeAsync(1_200);
    expect(a.isPresent('svc-b')).toBe(false);
    expect(ticks).toBe(4);
    await Promise.all([a.stop(), b.stop()]);
  });
});
