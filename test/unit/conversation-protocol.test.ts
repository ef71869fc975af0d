/**
 * The conversation protocol's building blocks: user-level topics, the query/answer/chat-event codecs,
 * and the access table's rules for them. A browser may ask only on its own user's `~/query` and hear
 * only its own client's answers and its own user's chat list.
 */
import { describe, expect, test } from 'vitest';
import { authorize, type Principal } from '../../src/broker/acl.js';
import {
  decodeAnswer,
  decodeChatEvent,
  decodeQuery,
  encodeAnswer,
  encodeChatEvent,
  encodeQuery,
  type QueryEnvelope,
} from '../../src/transport/envelope.js';
import { TopicScheme } from '../../src/transport/topics.js';

const scheme = new TopicScheme();
const alice: Principal = { kind: 'browser', userId: 'alice', clientId: 'csk_1' };

describe('user-level topics', () => {
  test('build and parse, and never read as a chat topic', () => {
    expect(scheme.userTopic('alice', 'query')).toBe('chat/alice/~/query');
    expect(scheme.userTopic('alice', 'answer', 'csk_1')).toBe('chat/alice/~/answer/csk_1');
    expect(scheme.parseUser('chat/alice/~/answer/csk_1')).toEqual({ userId: 'alice', channel: 'answer', clientId: 'csk_1' });
    expect(scheme.parseUser('chat/alice/~/chats')).toEqual({ userId: 'alice', channel: 'chats' });
    expect(scheme.parse('chat/alice/~/query')).toBeNull();
    for (const foreign of ['chat/alice/~/answer', 'chat/alice/~/query/x', 'chat/alice/c1/status', 'chat/+/~/query', 'other/alice/~/query']) {
      expect(scheme.parseUser(foreign)).toBeNull();
    }
    expect(scheme.queryFilter()).toBe('chat/+/~/query');
    expect(() => scheme.userTopic('a/b', 'query')).toThrow();
  });

  test('the access table: own query, own answers, own chat list only', () => {
    const sub = (filter: string) => authorize(scheme, alice, { type: 'subscribe', filter, qos: 1 }).allow;
    const pub = (topic: string, retain = false) => authorize(scheme, alice, { type: 'publish', topic, qos: 1, retain }).allow;
    expect(sub('chat/alice/~/answer/csk_1')).toBe(true);
    expect(sub('chat/alice/~/chats')).toBe(true);
    expect(sub('chat/alice/~/answer/csk_2')).toBe(false);
    expect(sub('chat/bob/~/chats')).toBe(false);
    expect(sub('chat/alice/~/query')).toBe(false);
    expect(pub('chat/alice/~/query')).toBe(true);
    expect(pub('chat/alice/~/query', true)).toBe(false);
    expect(pub('chat/bob/~/query')).toBe(false);
    expect(pub('chat/alice/~/chats')).toBe(false);
    expect(pub('chat/alice/~/answer/csk_1')).toBe(false);
  });
});

describe('query, answer and chat-event codecs', () => {
  test('round-trip every query op', () => {
    const queries: QueryEnvelope[] = [
      { queryId: 'q1', clientId: 'csk_1', op: 'history', chatId: 'c1', after: 4, limit: 50 },
      { queryId: 'q2', clientId: 'csk_1', op: 'history', chatId: 'c1', before: 100 },
      { queryId: 'q3', clientId: 'csk_1', op: 'list', limit: 20 },
      { queryId: 'q4', clientId: 'csk_1', op: 'rename', chatId: 'c1', title: 'Trip plans' },
      { queryId: 'q5', clientId: 'csk_1', op: 'delete', chatId: 'c1' },
      { queryId: 'q6', clientId: 'csk_1', op: 'turn', chatId: 'c1', requestId: 'r1' },
    ];
    for (const query of queries) expect(decodeQuery(encodeQuery(query))).toEqual({ ok: true, value: query });
  });

  test('refuse hostile queries with a reason instead of throwing', () => {
    const hostile = [
      '{"v":1,"r":"q","cid":"k","op":"history","chatId":"../x"}',
      '{"v":1,"r":"q","cid":"k","op":"history","chatId":"c1","limit":-1}',
      '{"v":1,"r":"q","cid":"k","op":"rename","chatId":"c1","title":""}',
      `{"v":1,"r":"q","cid":"k","op":"rename","chatId":"c1","title":"${'x'.repeat(201)}"}`,
      '{"v":1,"r":"q","cid":"k","op":"drop-table","chatId":"c1"}',
      '{"v":1,"r":"q","op":"list"}',
      '{"v":1,"r":"q","cid":"k","op":"turn","chatId":"c1"}',
    ];
    for (const payload of hostile) expect(decodeQuery(payload)).toEqual({ ok: false, reason: 'invalid' });
    expect(decodeQuery('not json')).toEqual({ ok: false, reason: 'malformed' });
    expect(decodeQuery('{"v":2,"r":"q"}')).toEqual({ ok: false, reason: 'version' });
  });

  test('answers carry a result or a typed error; chat events an upsert or a delete', () => {
    expect(decodeAnswer(encodeAnswer({ queryId: 'q1', result: { deleted: true } }))).toEqual({ ok: true, value: { queryId: 'q1', result: { deleted: true } } });
    const error = { code: 'not-found' as const, message: 'no such chat' };
    expect(decodeAnswer(encodeAnswer({ queryId: 'q1', error }))).toEqual({ ok: true, value: { queryId: 'q1', error } });
    expect(decodeAnswer('{"v":1,"r":"q1"}')).toEqual({ ok: false, reason: 'invalid' });
    const chat = { chatId: 'c1', title: 'Hello', createdAt: 1, updatedAt: 2 };
    expect(decodeChatEvent(encodeChatEvent({ eventId: 'e1', op: 'upsert', chat }))).toEqual({ ok: true, value: { eventId: 'e1', op: 'upsert', chat } });
    expect(decodeChatEvent(encodeChatEvent({ eventId: 'e2', op: 'delete', chatId: 'c1' }))).toEqual({ ok: true, value: { eventId: 'e2', op: 'delete', chatId: 'c1' } });
    expect(decodeChatEvent('{"v":1,"r":"e3","op":"upsert","chat":{"chatId":"a/b","title":"x","createdAt":1,"updatedAt":1}}')).toEqual({ ok: false, reason: 'invalid' });
  });
});
