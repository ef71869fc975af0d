/**
 * The pure ACL decision: edge cases the broker matrices cannot reach cheaply (odd filters,
 * prefixes with several levels, QoS capping), and agreement of the generated configurations.
 */
import { describe, expect, test } from 'vitest';
import { authorize, mayReceive, splitSharedFilter, serviceRoots, type Principal } from '../../src/broker/acl.js';
import { TopicScheme } from '../../src/transport/topics.js';

const scheme = new TopicScheme();
const alice: Principal = { kind: 'browser', userId: 'alice', clientId: 'csk_1' };
const worker: Principal = { kind: 'service', username: 'svc:w' };
const sub = (principal: Principal, filter: string, qos = 1) => authorize(scheme, principal, { type: 'subscribe', filter, qos });
const pub = (principal: Principal, topic: string, options: { qos?: number; retain?: boolean } = {}) =>
  authorize(scheme, principal, { type: 'publish', topic, qos: options.qos ?? 1, retain: options.retain ?? false });

describe('browser', () => {
  test('reads its own stream/status/complete/replay, capped at QoS 1', () => {
    for (const channel of ['stream', 'status', 'complete']) expect(sub(alice, `chat/alice/c1/${channel}`, 2)).toEqual({ allow: true, qos: 1 });
    expect(sub(alice, 'chat/alice/c1/replay/csk_1', 0)).toEqual({ allow: true, qos: 0 });
  });

  test('refuses odd and hostile filters', () => {
    const refused = [
      'chat/alice/c1/replay/csk_2',
      'chat/alice/c1/request',
      'chat/alice/c1/control',
      'chat/alice/c1/stream/extra',
      'chat/alice/c1',
      'chat/alice/c1/',
      'chat//c1/stream',
      'chat/alice/c1/+',
      'chat/alice/+/stream',
      'chat/+/c1/stream',
      '+/alice/c1/stream',
      '#',
      '$share/g/chat/alice/c1/stream',
      '$share//chat/alice/c1/stream',
      '$share/+/chat/alice/c1/stream',
      '$SYS/broker/clients',
      'CHAT/alice/c1/stream',
      'chat/alice/c1/STREAM',
      '/chat/alice/c1/stream',
      'chat/ALICE/c1/stream',
      '',
    ];
    for (const filter of refused) expect({ filter, allow: sub(alice, filter).allow }).toEqual({ filter, allow: false });
  });

  test('writes only its own request/control, QoS ≤ 1, never retained', () => {
    expect(pub(alice, 'chat/alice/c1/request')).toEqual({ allow: true });
    expect(pub(alice, 'chat/alice/c1/control', { qos: 0 })).toEqual({ allow: true });
    expect(pub(alice, 'chat/alice/c1/request', { retain: true }).allow).toBe(false);
    expect(pub(alice, 'chat/alice/c1/request', { qos: 2 }).allow).toBe(false);
    expect(pub(alice, 'chat/bob/c1/request').allow).toBe(false);
    for (const channel of ['stream', 'status', 'complete', 'replay/csk_1']) expect(pub(alice, `chat/alice/c1/${channel}`).allow).toBe(false);
    expect(pub(alice, 'chat/~/sys/workers/chat-workers/svc-w').allow).toBe(false);
    expect(sub(alice, 'chat/~/sys/workers/chat-workers/+', 1).allow).toBe(false);
    expect(sub(alice, 'chat/~/sys/inbox/chat-workers/svc-w/alice/c1', 1).allow).toBe(false);
  });

  test('delivery check mirrors the read rule', () => {
    expect(mayReceive(scheme, alice, 'chat/alice/c1/stream')).toBe(true);
    expect(mayReceive(scheme, alice, 'chat/bob/c1/stream')).toBe(false);
    expect(mayReceive(scheme, alice, 'chat/alice/c1/request')).toBe(false);
  });
});

describe('service account', () => {
  test('works under the chat namespace, its coordination topics, wildcards and shared subscriptions included', () => {
    expect(serviceRoots(scheme)).toEqual(['chat']);
    for (const filter of ['chat/+/+/request', '$share/workers/chat/+/+/request', 'chat/#', 'chat/~/sys/workers/g/+', '$share/g/chat/~/sys/probe/svc-w']) {
      expect({ filter, allow: sub(worker, filter, 1).allow }).toEqual({ filter, allow: true });
    }
    expect(pub(worker, 'chat/alice/c1/complete', { retain: true })).toEqual({ allow: true });
    expect(pub(worker, 'chat/~/sys/workers/g/svc-w', { retain: true })).toEqual({ allow: true });
  });

  test('nothing outside them', () => {
    for (const filter of ['#', '+/+/+/request', '$SYS/#', 'other/x', 'chat', 'chatx/a', '$share/g/#', '$share/chat/x']) {
      expect({ filter, allow: sub(worker, filter).allow }).toEqual({ filter, allow: false });
    }
    expect(pub(worker, 'other/topic').allow).toBe(false);
    expect(pub(worker, '$SYS/x').allow).toBe(false);
  });
});

test('multi-level prefixes: the prefix is matched literally', () => {
  const tenant = new TopicScheme('acme/chat');
  const bob: Principal = { kind: 'browser', userId: 'bob', clientId: 'c' };
  expect(authorize(tenant, bob, { type: 'subscribe', filter: 'acme/chat/bob/x/stream', qos: 0 }).allow).toBe(true);
  expect(authorize(tenant, bob, { type: 'subscribe', filter: 'other/chat/bob/x/stream', qos: 0 }).allow).toBe(false);
  expect(authorize(tenant, worker, { type: 'subscribe', filter: '+/chat/+/+/request', qos: 0 }).allow).toBe(false);
  expect(authorize(tenant, worker, { type: 'subscribe', filter: 'acme/chat/+/+/request', qos: 0 }).allow).toBe(true);
});

test('splitSharedFilter', () => {
  expect(splitSharedFilter('a/b')).toEqual({ filter: 'a/b' });
  expect(splitSharedFilter('$share/g/a/b')).toEqual({ group: 'g', filter: 'a/b' });
  expect(splitSharedFilter('$share/g')).toBeNull();
  expect(splitSharedFilter('$share//a')).toBeNull();
  expect(splitSharedFilter('$share/#/a')).toBeNull();
});
