/**
 * `WorkerMembership` on the mock broker: presence records name their connection, so a will that
 * arrives after its worker already reconnected clears nothing; a (re)connecting worker takes no
 * request until the members it knows heard of it.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { decodePresence, encodePresence } from '../../src/server/presence-record.js';
import { WorkerMembership } from '../../src/server/worker-membership.js';
import { createMockBroker, type MockBroker } from '../../src/testing/index.js';
import { TopicScheme } from '../../src/transport/topics.js';

const topics = new TopicScheme();
let broker: MockBroker;

afterEach(async () => {
  await broker?.close();
});

const presenceOf = (id: string) => topics.workerPresenceTopic('g', id);
const retainedRecord = (id: string) => decodePresence(broker.retained(presenceOf(id))?.payload ?? new Uint8Array());

async function members(first: number) {
  broker = createMockBroker();
  const a = new WorkerMembership(broker.connect({ clientId: 'svc-a' }), topics, 'g', 'svc-a', 200);
  const bClient = broker.connect({ clientId: 'svc-b', reconnectPeriod: 10 });
  const b = new WorkerMembership(bClient, topics, 'g', 'svc-b', 200, first);
  await Promise.all([a.start(), b.start()]);
  await expect.poll(() => [a.isPresent('svc-b'), b.isPresent('svc-a')]).toEqual([true, true]);
  return { a, b, bClient };
}

async function reconnected(client: { connected: boolean; on(event: 'connect', listener: () => void): unknown }, drop: () => void) {
  const back = new Promise<void>((resolve) => client.on('connect', () => resolve()));
  drop();
  await back;
}

describe('WorkerMembership', () => {
  test("a will published after its worker reconnected is stale: the member stays present and repairs its record", async () => {
    const { a, b, bClient } = await members(100);
    await reconnected(bClient, () => broker.dropClient('svc-b'));
    await expect.poll(() => b.isJoined).toBe(true);
    // The broker publishes the will of b's first connection late, as a cluster does for a dead node's clients.
    broker.inject(presenceOf('svc-b'), encodePresence({ state: 'gone', incarnation: 100 }), { retain: true, qos: 1 });
    await expect.poll(() => a.stats.staleRecords).toBeGreaterThan(0);
    expect(a.isPresent('svc-b')).toBe(true);
    // b saw the record too and said it is here, so a worker starting now does not read it as gone.
    await expect.poll(() => retainedRecord('svc-b')?.state).toBe('here');
    await Promise.all([a.stop(), b.stop()]);
  });

  test("the will of a member's current connection makes it absent at once", async () => {
    const { a, b } = await members(100);
    const current = retainedRecord('svc-b');
    expect(current?.state).toBe('here');
    // b's connection is dead as far as a can tell: none of its heartbeats reach a any more.
    broker.dropMessages((topic, payload, to) => to === 'svc-a' && topic === presenceOf('svc-b') && decodePresence(payload)?.state === 'here');
    broker.inject(presenceOf('svc-b'), encodePresence({ state: 'gone', incarnation: current!.state === 'here' ? current!.incarnation : 0 }), { retain: true, qos: 1 });
    await expect.poll(() => a.isPresent('svc-b')).toBe(false);
    expect([...Array(20).keys()].every((i) => a.owns(`ann/c${i}`))).toBe(true);
    await Promise.all([a.stop(), b.stop()]);
  });

  test('a reconnecting worker holds requests until the members it knows answered it, then runs them', async () => {
    const { a, b, bClient } = await members(100);
    // a misses b's question: its answer comes only after b asks again on a's next heartbeat.
    const undrop = broker.dropMessages((topic, payload, to) => to === 'svc-a' && topic === presenceOf('svc-b') && (decodePresence(payload) as { ask?: string } | null)?.ask !== undefined);
    await reconnected(bClient, () => broker.dropClient('svc-b'));
    await expect.poll(() => b.joinState).toBe('awaiting');
    const ran: string[] = [];
    expect(b.admit(() => ran.push('request'))).toBe('held');
    expect(ran).toEqual([]);
    undrop();
    await expect.poll(() => b.isJoined).toBe(true);
    expect(ran).toEqual(['request']);
    expect(b.admit(() => ran.push('next'))).toBe('run');
    expect(ran).toEqual(['request', 'next']);
    await Promise.all([a.stop(), b.stop()]);
  });

  test('malformed presence payloads are dropped and counted, never taken as a member', async () => {
    const { a, b } = await members(100);
    broker.inject(presenceOf('svc-x'), '{"v":1,"s":"here","n":"soon"}', { qos: 1 });
    broker.inject(presenceOf('svc-y'), 'x'.repeat(10_000), { qos: 1 });
    await expect.poll(() => a.stats.malformedRecords).toBe(2);
    expect(a.members).toBe(2);
    await Promise.all([a.stop(), b.stop()]);
  });

  test('a runner (an HTTP trigger) is present but owns no chat, and workers do not wait for it to join', async () => {
    broker = createMockBroker();
    const worker = new WorkerMembership(broker.connect({ clientId: 'svc-w' }), topics, 'g', 'svc-w', 200);
    const runner = new WorkerMembership(broker.connect({ clientId: 'svc-http' }), topics, 'g', 'svc-http', 200, undefined, 'runner');
    await Promise.all([worker.start(), runner.start()]);
    await expect.poll(() => worker.isPresent('svc-http')).toBe(true);
    expect(worker.isRunner('svc-http')).toBe(true);
    expect(retainedRecord('svc-http')).toMatchObject({ state: 'here', runner: true });
    // Every chat stays with the worker, whatever the rendezvous hash would say.
    expect([...Array(50).keys()].every((i) => worker.owner(`ann/c${i}`) === 'svc-w')).toBe(true);
    await runner.stop();
    await expect.poll(() => worker.isPresent('svc-http')).toBe(false);
    await worker.stop();
  });

  test('the runner flag round-trips, and a foreign value of it is dropped', () => {
    const encoded = encodePresence({ state: 'here', incarnation: 7, runner: true });
    expect(decodePresence(new TextEncoder().encode(encoded))).toEqual({ state: 'here', incarnation: 7, runner: true });
    expect(decodePresence(new TextEncoder().encode(JSON.stringify({ v: 1, s: 'here', n: 7, r: 'yes' })))).toBeNull();
  });
});
