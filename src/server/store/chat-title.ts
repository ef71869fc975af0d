/**
 * A chat's automatic title: the text of its first user message, whitespace collapsed, trimmed,
 * at most {@link MAX_AUTO_TITLE_LENGTH} characters. An empty stored title means "not titled yet"
 * (a rename never stores an empty one), so a chat keeps the first title it gets until renamed.
 */
import type { UIMessage } from 'ai';

/** Longest automatic title, in characters (code points). */
export const MAX_AUTO_TITLE_LENGTH = 80;

/** The title a user message gives a chat, or null when it has no text (e.g. only a file). */
export function titleFromMessage(message: UIMessage): string | null {
  if (message.role !== 'user') return null;
  const text = message.parts
    .filter((part): part is Extract<UIMessage['parts'][number], { type: 'text' }> => part?.type === 'text' && typeof (part as { text?: unknown }).text === 'string')
    .map((part) => part.text)
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (text === '') return null;
  // Cut on code points, so an emoji at the edge is not split into half a surrogate pair.
  return Array.from(text).slice(0, MAX_AUTO_TITLE_LENGTH).join('').trimEnd();
}

/** The first title found among `messages`, in their order; null when none has user text. */
export function firstTitle(messages: readonly UIMessage[]): string | null {
  for (const message of messages) {
    const title = titleFromMessage(message);
    if (title !== null) return title;
  }
  return null;
}
