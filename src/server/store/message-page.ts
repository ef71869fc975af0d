/**
 * {@link MessageQuery} over messages held in memory (the memory and callback stores). The SQL
 * store expresses the same rule in SQL: filter by `after` (version) and `before` (position), keep
 * the newest `limit` of that range in chat order, and `hasOlder` is whether the range held more.
 */
import type { UIMessage } from 'ai';
import type { MessageQuery, StoredMessage } from '../../transport/conversation.js';

/** `ordered` must be in position order; returns the page's messages (not copied) and `hasOlder`. */
export function selectPage<UI extends UIMessage>(ordered: readonly StoredMessage<UI>[], query: MessageQuery): { messages: StoredMessage<UI>[]; hasOlder: boolean } {
  const range = ordered.filter((m) => (query.after === undefined || m.version > query.after) && (query.before === undefined || m.position < query.before));
  if (query.limit === undefined || range.length <= query.limit) return { messages: range, hasOlder: false };
  return { messages: query.limit === 0 ? [] : range.slice(-query.limit), hasOlder: true };
}
