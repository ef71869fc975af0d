import { describe, expect, test } from 'vitest';
import { InvalidTopicSegmentError, TopicScheme } from '../../src/transport/index.js';
import { topicMatches } from '../../src/testing/mock-broker.js';

describe('TopicScheme', () => {
  const topics = new TopicScheme();
  const chat = { userId: 'u_1', chatId: 'c-2' };

  test('builds every channel under the user and chat', () => {
    expect(topics.topic(chat, 'stream')).toBe('chat/u_1/c-2/stream');
    expect(topics.topic(chat, 'replay', 'client9')).toBe('chat/u_1/c-2/replay/client9');
    expect(topics.clientSubscriptions(chat, 'k')).toEqual(['chat/u_1/c-2/stream', 'chat/u_1/c-2/status', 'chat/u_1/c-2/complete', 'chat/u_1/c-2/replay/k']);
    expect(topics.sharedRequestFilter('g')).toBe('$share/g/chat/+/+/request');
  });

  test.each(['a/b', 'a+', '#', '$SYS', '', 'x'.repeat(65), 'ünïcode', 'sp ace'])('refuses %j as a segment with a typed error', (bad) => {
    expect(() => topics.topic({ userId: bad, chatId: 'c' }, 'stream')).toThrow(InvalidTopicSegmentError);
    expect(() => topics.topic({ userId: 'u', chatId: bad }, 'stream')).toThrow(InvalidTopicSegmentError);
  });

  test('parses its own topics and nothing else', () => {
    expect(topics.parse('chat/u/c/request')).toEqual({ userId: 'u', chatId: 'c', channel: 'request' });
    expect(topics.parse('chat/u/c/replay/k')).toEqual({ userId: 'u', chatId: 'c', channel: 'replay', clientId: 'k' });
    for (const foreign of ['chat/u/c', 'chat/u/c/nope', 'other/u/c/stream', 'chat/u/c/stream/extra', 'chat/u/c/replay', 'chat/u+/c/stream', 'chat/~/sys/workers/g/w', 'chat/~/sys/probe/w']) {
      expect(topics.parse(foreign)).toBeNull();
    }
  });

  test('worker coordination lives in the chat tree (a bridge of chat/# carries it) and no request, query or user topic matches it', () => {
    const address = { userId: 'alice', chatId: 'c1' };
    for (const scheme of [topics, new TopicScheme('app/prod')]) {
      // Worker ids that are channel names must not make a coordination topic look like a request.
      for (const workerId of ['w1', 'request', 'query', 'control']) {
        const coordination = [
          scheme.workerPresenceTopic('g', workerId),
          scheme.workerInboxTopic('g', workerId, address),
          scheme.sharedProbeTopic(workerId),
        ];
        for (const topic of coordination) {
          expect(topicMatches(`${scheme.prefix}/#`, topic)).toBe(true);
          for (const filter of [scheme.requestFilter(), scheme.queryFilter(), ...scheme.clientSubscriptions(address, 'k'), ...scheme.userSubscriptions('alice', 'k')]) {
            expect({ filter, topic, matches: topicMatches(filter, topic) }).toEqual({ filter, topic, matches: false });
          }
          expect(scheme.parse(topic)).toBeNull();
        }
        expect(topicMatches(scheme.workerPresenceFilter('g'), scheme.workerPresenceTopic('g', workerId))).toBe(true);
        expect(scheme.parseWorkerInbox(scheme.workerInboxTopic('g', workerId, address), 'g', workerId)).toEqual(address);
      }
    }
  });

  test('a multi-level prefix works end to end', () => {
    const nested = new TopicScheme('app/prod');
    const topic = nested.topic(chat, 'status');
    expect(topic).toBe('app/prod/u_1/c-2/status');
    expect(nested.parse(topic)).toEqual({ ...chat, channel: 'status' });
    expect(() => new TopicScheme('bad/+')).toThrow(InvalidTopicSegmentError);
  });
});
