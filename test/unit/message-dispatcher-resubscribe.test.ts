/**
 * `MessageDispatcher` while a broker cluster forms (RabbitMQ after a whole-cluster restart): a
 * SUBSCRIBE that fails, or that is refused after a reconnect, is tried again until the filter is
 * held at the broker, so a worker never stays deaf to its requests.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { MessageDispatcher } from '../../src/server/message-dispatcher.js';
import { createMockBroker, type MockBroker } from '../../src/testing/index.js';
import { publishAsync, type SubscriptionGrant } from '../../src/transport/mqtt-client.js';

let broker: MockBroker;

afterEach(async () => {
  await broker?.close();
});

type SubscribeCallback = (error: Error | null, granted?: SubscriptionGrant[]) => void;

/** Makes the client's next `failures` SUBSCRIBEs fail (`'error'`) or come back refused (`'refused'`). */
function troubledSubscribes(client: { subscribe: (...args: never[]) => unknown }, outcomes: Array<'error' | 'refused'>): void {
  const original = client.subscribe.bind(client) as (topics: string | string[], options: object, callback: SubscribeCallback) => unknown;
  (client as { subscribe: unknown }).subscribe = (topics: string | string[], options: object, callback: SubscribeCallback) => {
    const outcome = outcomes.shift();
    if (!outcome) return original(topics, options, callback);
    const filters = Array.isArray(topics) ? topics : [topics];
    queueMicrotask(() => (outcome === 'error' ? callback(new Error('cluster still forming')) : callback(null, filters.map((topic) => ({ topic, qos: 128 })))));
    return client;
  };
}

const connected = (client: { connected: boolean; on(event: 'connect', listener: () => void): unknown }) =>
  client.connected ? Promise.resolve() : new Promise<void>((resolve) => client.on('connect', () => resolve()));

describe('MessageDispatcher resubscribes until the broker takes the subscription', () => {
  test('a failed first SUBSCRIBE is tried again; requests then arrive', async () => {
    broker = createMockBroker();
    const client = broker.connect({ clientId: 'svc-w' });
    await connected(client);
    troubledSubscribes(client, ['error', 'error']);
    const dispatcher = MessageDispatcher.for(client);
    const received: string[] = [];
    const route = dispatcher.route({ filters: ['chat/+/+/request'], accepts: () => true, handler: (topic) => received.push(topic) });
    expect((await route.ready).map((grant) => grant.qos)).toEqual([1]);
    expect(dispatcher.subscribeRetries).toBe(2);
    const sender = broker.connect({ clientId: 'ann-tab' });
    await connected(sender);
    await publishAsync(sender, 'chat/ann/c1/request', 'x', { qos: 1 });
    await expect.poll(() => received).toEqual(['chat/ann/c1/request']);
  });

  test('after a reconnect, refused and failed SUBSCRIBEs are tried again until the filter is held', async () => {
    broker = createMockBroker();
    const client = broker.connect({ clientId: 'svc-w', reconnectPeriod: 10 });
    await connected(client);
    const dispatcher = MessageDispatcher.for(client);
    await dispatcher.route({ filters: ['chat/+/+/request'], accepts: () => true, handler: () => undefined }).ready;
    const outcomes: Array<'error' | 'refused'> = ['refused', 'error', 'refused'];
    troubledSubscribes(client, outcomes);
    const back = new Promise<void>((resolve) => client.on('connect', () => resolve()));
    broker.dropClient('svc-w');
    await back;
    // Three troubled answers, then the fourth SUBSCRIBE goes through.
    await expect.poll(() => dispatcher.subscribeRetries, { timeout: 15_000 }).toBe(3);
    expect(outcomes).toEqual([]);
    await expect.poll(() => broker.subscriptions('svc-w').map((subscription) => subscription.topic)).toEqual(['chat/+/+/request']);
  });
});
