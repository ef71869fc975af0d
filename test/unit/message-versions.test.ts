/**
 * `MessageVersions.hydrate`: the chat store's versions become the pager's, and the same versions
 * of the same chat arriving again (a newest page loaded twice) leave the version the user is
 * looking at alone; another chat starts from its own.
 */
import type { UIMessage } from 'ai';
import { describe, expect, test } from 'vitest';
import { MessageVersions } from '../../src/components/message-versions.js';
import type { StoredVersion } from '../../src/transport/conversation.js';

const message = (id: string, role: 'user' | 'assistant', text: string): UIMessage => ({ id, role, parts: [{ type: 'text', text }] });
const prompt = message('u1', 'user', 'Capital of Sweden?');
const chat = [prompt, message('a3', 'assistant', 'answer 3')];
const stored = (): StoredVersion[] => [{ branch: 'u1', messages: [message('a2', 'assistant', 'answer 2')], replacedAt: 1_000 }];

describe('MessageVersions.hydrate', () => {
  test('the same stored versions of the same chat again keep the version on screen', () => {
    const versions = new MessageVersions();
    versions.hydrate(stored(), 'c1');
    expect(versions.getSnapshot().get('u1')?.active).toBe(1);
    const shown = versions.select(chat, 'u1', 0);
    expect(shown?.map((m) => m.id)).toEqual(['u1', 'a2']);
    // The newest page again (a new array, equal content): the user stays on version 1.
    versions.hydrate(stored(), 'c1');
    expect(versions.getSnapshot().get('u1')?.active).toBe(0);
  });

  test('a new stored version, or another chat, starts again from the store', () => {
    const versions = new MessageVersions();
    versions.hydrate(stored(), 'c1');
    versions.select(chat, 'u1', 0);
    versions.hydrate([...stored(), { branch: 'u1', messages: [message('a3', 'assistant', 'answer 3')], replacedAt: 2_000 }], 'c1');
    expect(versions.getSnapshot().get('u1')).toMatchObject({ active: 2 });
    versions.hydrate([], 'c2');
    expect(versions.getSnapshot().size).toBe(0);
  });
});
