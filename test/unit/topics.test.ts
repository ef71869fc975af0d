import { describe, expect, test } from 'vitest';
import { InvalidTopicSegmentError, TopicScheme } from '../../src/transport/index.js';

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
    for (const foreign of ['chat/u/c', 'chat/u/c/nope', 'other/u/c/stream', 'chat/u/c/stream/extra', 'chat/u/c/replay', 'chat/u+/c/stream', 'chat-sys/workers/g/w']) {
      expect(topics.parse(foreign)).toBeNull();
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
