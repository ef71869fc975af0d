/**
 * The connection layer on the in-memory broker, with fake timers: the managed driver (lazy start,
 * credentials per connect, backoff with jitter, auth errors, failover order, browser offline),
 * the external driver, waiting for a connection, and the shared pool (one socket per identity,
 * reference counted, subscriptions and listeners released per transport).
 */
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { createMockBroker, type MockBroker } from '../../src/testing/mock-broker.js';
import { connectionPool } from '../../src/transport/connection-pool.js';
import { ConnectionManager, type ConnectionListener } from '../../src/transport/connection.js';
import type { ManagedConnectionOptions } from '../../src/transport/managed-driver.js';
import { AuthError } from '../../src/transport/errors.js';
import { subscribeAsync, unsubscribeAsync, type OpenClientOptions } from '../../src/transport/mqtt-client.js';

const URL_A = 'ws://node-a.test/mqtt';
const URL_B = 'ws://node-b.test/mqtt';
const URL_C = 'ws://node-c.test/mqtt';

/** Backoff with `random() = 0`: delays are exactly half the ceiling (250, 500, 1 000 … ms). */
const BACKOFF = { initialDelay: 500, maxDelay: 8_000, random: () => 0 };

let broker: MockBroker;
let opened: OpenClientOptions[];
let managers: ConnectionManager[];

beforeEach(() => {
  vi.useFakeTimers();
  broker = createMockBroker();
  opened = [];
  managers = [];
});

afterEach(async () => {
  for (const manager of managers) manager.close();
  await broker.close();
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

/** The managed options a transport would pass, opening clients on the mock broker. */
function managedOptions(extra: Partial<ManagedConnectionOptions> = {}): ManagedConnectionOptions {
  return {
    wssUrl: URL_A,
    backoff: BACKOFF,
    openClient: (options) => {
      opened.push(options);
      return broker.connect({ clientId: options.clientId, username: options.username, password: options.password });
    },
    ...extra,
  };
}

function manager(extra: Partial<ManagedConnectionOptions> = {}, userId: string | undefined = 'alice'): ConnectionManager {
  const created = new ConnectionManager({ kind: 'managed', ...managedOptions(extra) }, userId);
  managers.push(created);
  return created;
}

function recordListener(target: ConnectionManager): { events: string[] } {
  const events: string[] = [];
  const listener: ConnectionListener = {
    onConnected: (_client, firstTime) => events.push(firstTime ? 'connected(first)' : 'connected'),
    onLost: (reason) => events.push(`lost(${reason})`),
  };
  target.addListener(listener);
  return { events };
}

/** Runs microtasks and due timers without moving fake time. */
const settle = () => vi.advanceTimersByTimeAsync(0);

/** An auth endpoint as a fake `fetch`: answers `responses` in turn (the last one repeats). */
function authEndpoint(responses: Array<{ status: number; body?: object }>) {
  const calls: Array<{ clientId?: string }> = [];
  const fetch = vi.fn(async (_url: string | URL | Request, init?: RequestInit) => {
    calls.push(JSON.parse(String(init?.body ?? '{}')) as { clientId?: string });
    const response = responses[Math.min(calls.length, responses.length) - 1];
    return new Response(JSON.stringify(response.body ?? {}), { status: response.status, headers: { 'content-type': 'application/json' } });
  }) as unknown as typeof globalThis.fetch;
  return { fetch, calls };
}

describe('managed driver', () => {
  test('creating it opens nothing; the first wait for a connection connects', async () => {
    const connection = manager();
    await settle();
    expect(opened).toHaveLength(0);
    expect(broker.clients()).toEqual([]);

    const client = await connection.waitUntilConnected(1_000);
    expect(opened).toHaveLength(1);
    expect(client.connected).toBe(true);
    expect(connection.state.getSnapshot()).toMatchObject({ status: 'connected', attempt: 0, lastError: null });
    expect(broker.clients()).toEqual([connection.clientId]);
  });

  test('subscribing to the state starts it (whoever shows the state wants the connection up)', async () => {
    const connection = manager();
    const seen: string[] = [];
    const unsubscribe = connection.state.subscribe(() => seen.push(connection.state.getSnapshot().status));
    expect(opened).toHaveLength(1);
    await settle();
    expect(seen).toEqual(['connected']);
    unsubscribe();
  });

  test('a dropped connection is reported once, retried after the backoff delay, and comes back', async () => {
    const connection = manager();
    const { events } = recordListener(connection);
    await connection.waitUntilConnected(1_000);
    expect(events).toEqual(['connected(first)']);

    broker.dropClient(connection.clientId!);
    expect(events).toEqual(['connected(first)', 'lost(connection closed)']);
    const lost = connection.state.getSnapshot();
    expect(lost.status).toBe('reconnecting');
    // First retry: 250 ms (half of the 500 ms ceiling with random() = 0).
    expect(lost.nextRetryAt).toBe(Date.now() + 250);

    await vi.advanceTimersByTimeAsync(249);
    expect(connection.connected).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(connection.connected).toBe(true);
    expect(events).toEqual(['connected(first)', 'lost(connection closed)', 'connected']);
    // One client for the whole life: its listeners and in-flight messages survive the reconnect.
    expect(opened).toHaveLength(1);
  });

  test('an unreachable broker is retried with growing delays, not in a tight loop', async () => {
    broker.setOffline(true);
    const connection = manager();
    connection.retry();
    await settle();
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      const snapshot = connection.state.getSnapshot();
      expect(snapshot).toMatchObject({ status: 'reconnecting', lastError: { kind: 'unreachable' } });
      const delay = snapshot.nextRetryAt! - Date.now();
      delays.push(delay);
      await vi.advanceTimersByTimeAsync(delay);
    }
    // Attempt n waits for backoff(n + 1): doubling from 500 ms, capped at half of maxDelay here.
    expect(delays).toEqual([500, 1_000, 2_000, 4_000, 4_000]);

    broker.setOffline(false);
    await vi.advanceTimersByTimeAsync(connection.state.getSnapshot().nextRetryAt! - Date.now());
    expect(connection.state.getSnapshot()).toMatchObject({ status: 'connected', attempt: 0, lastError: null });
  });

  test('fresh credentials from the auth endpoint before every connect', async () => {
    const passwords = ['p1', 'p2'];
    broker = createMockBroker({ authenticate: ({ username, password }) => username === 'alice' && passwords.includes(password ?? '') });
    const auth = authEndpoint([
      { status: 200, body: { username: 'alice', password: 'p1', userId: 'alice', clientId: 'tab-1' } },
      { status: 200, body: { username: 'alice', password: 'p2', userId: 'alice', clientId: 'tab-1' } },
    ]);
    const connection = manager({ authEndpoint: '/api/mqtt-token', fetch: auth.fetch }, undefined);
    await connection.waitUntilConnected(1_000);
    expect(connection.userId).toBe('alice');
    expect(connection.clientId).toBe('tab-1');
    expect(opened[0]).toMatchObject({ username: 'alice', password: 'p1', clientId: 'tab-1' });

    passwords.shift(); // p1 expired
    broker.dropClient('tab-1');
    await vi.advanceTimersByTimeAsync(250);
    expect(connection.connected).toBe(true);
    expect(auth.calls).toHaveLength(2);
    // The issuer is told which client asks, so it can keep one account per tab.
    expect(auth.calls[1]).toEqual({ clientId: 'tab-1' });
  });

  test('credentials the broker refuses: an auth error and no retry storm; retry() tries again', async () => {
    broker = createMockBroker({ authenticate: () => false });
    const connection = manager({ username: 'mallory', password: 'wrong' });
    connection.retry();
    await settle();
    expect(connection.state.getSnapshot()).toMatchObject({ status: 'error', lastError: { kind: 'auth' }, nextRetryAt: null });
    await expect(connection.waitUntilConnected(1_000)).rejects.toBeInstanceOf(AuthError);

    await vi.advanceTimersByTimeAsync(120_000);
    expect(connection.state.getSnapshot().attempt).toBe(1);

    connection.retry();
    await settle();
    expect(connection.state.getSnapshot()).toMatchObject({ status: 'error', attempt: 2 });
  });

  test('an auth endpoint that says 401 is asked once, not hammered', async () => {
    const auth = authEndpoint([{ status: 401 }]);
    const connection = manager({ authEndpoint: '/api/mqtt-token', fetch: auth.fetch });
    await expect(connection.waitUntilConnected(5_000)).rejects.toBeInstanceOf(AuthError);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(auth.calls).toHaveLength(1);
    expect(opened).toHaveLength(0);
  });

  test('waiting for a connection that does not come fails as a resumable network error', async () => {
    broker.setOffline(true);
    const connection = manager();
    const waiting = connection.waitUntilConnected(3_000);
    const failure = waiting.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(3_000);
    const error = await failure;
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/network/);
  });

  test('several URLs: every failed attempt or lost connection moves to the next one, wrapping around', async () => {
    const connection = manager({ urls: [URL_B, URL_C] });
    await connection.waitUntilConnected(1_000);
    const url = () => opened[0].url();
    expect(url()).toBe(URL_A);

    broker.dropClient(connection.clientId!); // node A died
    expect(url()).toBe(URL_B);
    broker.setOffline(true);
    const tried: string[] = [];
    for (let i = 0; i < 4; i++) {
      tried.push(url());
      await vi.advanceTimersByTimeAsync(connection.state.getSnapshot().nextRetryAt! - Date.now());
    }
    expect(tried).toEqual([URL_B, URL_C, URL_A, URL_B]);
  });

  test('the browser going offline drops the socket and waits for `online` instead of retrying', async () => {
    const windowEvents = new EventTarget();
    const navigatorState = { onLine: true };
    vi.stubGlobal('window', windowEvents);
    vi.stubGlobal('navigator', navigatorState);
    const connection = manager();
    const { events } = recordListener(connection);
    await connection.waitUntilConnected(1_000);

    navigatorState.onLine = false;
    windowEvents.dispatchEvent(new Event('offline'));
    await settle();
    expect(connection.state.getSnapshot().status).toBe('offline');
    expect(events).toContain('lost(offline)');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(connection.state.getSnapshot()).toMatchObject({ status: 'offline', nextRetryAt: null });
    expect(broker.clients()).toEqual([]);

    navigatorState.onLine = true;
    windowEvents.dispatchEvent(new Event('online'));
    await settle();
    expect(connection.state.getSnapshot().status).toBe('connected');
  });

  test('close ends the socket, stops retries, and says offline', async () => {
    const connection = manager();
    await connection.waitUntilConnected(1_000);
    connection.close();
    await settle();
    expect(broker.clients()).toEqual([]);
    expect(connection.state.getSnapshot().status).toBe('offline');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(broker.clients()).toEqual([]);
    await expect(connection.waitUntilConnected(1_000)).rejects.toBeInstanceOf(TypeError);
  });
});

describe('external driver', () => {
  test('follows an app-owned client: up, down, its own reconnects, and it is never ended', async () => {
    const client = broker.connect({ clientId: 'app-client', reconnectPeriod: 1_000 });
    const connection = new ConnectionManager({ kind: 'external', client }, 'alice');
    managers.push(connection);
    const { events } = recordListener(connection);
    connection.start();
    await settle();
    expect(connection.state.getSnapshot().status).toBe('connected');
    expect(connection.clientId).toBe('app-client');
    expect(events).toEqual(['connected(first)']);

    broker.dropClient('app-client');
    expect(events).toEqual(['connected(first)', 'lost(connection closed)']);
    // The app's client retries on its own period; the state says when.
    expect(connection.state.getSnapshot()).toMatchObject({ status: 'reconnecting', nextRetryAt: Date.now() + 1_000 });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(connection.state.getSnapshot()).toMatchObject({ status: 'connected', attempt: 0 });
    expect(events.at(-1)).toBe('connected');

    connection.close();
    await settle();
    expect(client.connected).toBe(true);
    expect(client.listenerCount('connect')).toBe(0);
    client.end();
  });

  test('retry() asks the app-owned client to reconnect; a refusal is an auth error', async () => {
    let accept = false;
    broker = createMockBroker({ authenticate: () => accept });
    const client = broker.connect({ clientId: 'app-client' });
    const connection = new ConnectionManager({ kind: 'external', client }, 'alice');
    managers.push(connection);
    connection.start();
    await settle();
    expect(connection.state.getSnapshot()).toMatchObject({ status: 'error', lastError: { kind: 'auth' } });

    accept = true;
    connection.retry();
    await settle();
    expect(connection.state.getSnapshot().status).toBe('connected');
    client.end();
  });
});

describe('shared connections', () => {
  test('transports re-created on every render share one socket and one credentials call per connect', async () => {
    const auth = authEndpoint([{ status: 200, body: { username: 'alice', password: 'p', userId: 'alice' } }]);
    const renders = Array.from({ length: 130 }, () => manager({ authEndpoint: '/api/mqtt-token', fetch: auth.fetch, headers: { 'x-session': 's1' } }, undefined));
    await settle();
    expect(opened).toHaveLength(0); // none sent anything yet: nothing opened

    await Promise.all(renders.map((render) => render.waitUntilConnected(1_000)));
    expect(opened).toHaveLength(1);
    expect(auth.calls).toHaveLength(1);
    expect(broker.clients()).toHaveLength(1);

    broker.dropClient(broker.clients()[0]);
    await vi.advanceTimersByTimeAsync(250);
    expect(renders.every((render) => render.connected)).toBe(true);
    expect(auth.calls).toHaveLength(2);
    expect(opened).toHaveLength(1);
  });

  test('the connection ends with its last transport', async () => {
    const sizeBefore = connectionPool.size;
    const first = manager();
    const second = manager();
    await first.waitUntilConnected(1_000);
    await second.waitUntilConnected(1_000);
    expect(connectionPool.size).toBe(sizeBefore + 1);

    first.close();
    await settle();
    expect(second.connected).toBe(true);
    expect(broker.clients()).toHaveLength(1);

    second.close();
    await settle();
    expect(broker.clients()).toEqual([]);
    expect(connectionPool.size).toBe(sizeBefore);

    // A transport created later gets a fresh connection.
    const third = manager();
    await third.waitUntilConnected(1_000);
    expect(opened).toHaveLength(2);
  });

  test('different users, client ids or share: false get their own connections', async () => {
    const connections = [manager({}, 'alice'), manager({}, 'bob'), manager({ clientId: 'tab-2' }, 'alice'), manager({ share: false }, 'alice')];
    await Promise.all(connections.map((connection) => connection.waitUntilConnected(1_000)));
    expect(opened).toHaveLength(4);
    expect(broker.clients()).toHaveLength(4);
  });

  test('one transport unsubscribing or closing does not take a topic or listener from another', async () => {
    const first = manager();
    const second = manager();
    const clientOfFirst = await first.waitUntilConnected(1_000);
    const clientOfSecond = await second.waitUntilConnected(1_000);
    const received: string[] = [];
    clientOfSecond.on('message', (topic) => received.push(topic));
    clientOfFirst.on('message', () => undefined);
    const clientId = first.clientId!;

    await subscribeAsync(clientOfFirst, 'chat/alice/c1/status');
    await subscribeAsync(clientOfSecond, 'chat/alice/c1/status');
    await unsubscribeAsync(clientOfFirst, 'chat/alice/c1/status');
    expect(broker.subscriptions(clientId).map((s) => s.topic)).toEqual(['chat/alice/c1/status']);

    await subscribeAsync(clientOfFirst, 'chat/alice/c2/status');
    first.close();
    await settle();
    // The first transport's own topic went with it; the second's stayed, and so did its listener.
    expect(broker.subscriptions(clientId).map((s) => s.topic)).toEqual(['chat/alice/c1/status']);
    broker.inject('chat/alice/c1/status', 'x');
    await settle();
    expect(received).toEqual(['chat/alice/c1/status']);

    await unsubscribeAsync(clientOfSecond, 'chat/alice/c1/status');
    expect(broker.subscriptions(clientId)).toEqual([]);
  });

  test('a transport joining a connection that is already up hears about it once', async () => {
    const first = manager();
    await first.waitUntilConnected(1_000);
    const late = manager();
    const { events } = recordListener(late);
    expect(late.current).toBeNull(); // not started: holds nothing
    await late.waitUntilConnected(1_000);
    expect(events).toEqual(['connected(first)']);
  });
});
