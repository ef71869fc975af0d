import { isValidSegment } from '@cloudsignal/ai-chat-kit';

/** The cookie this example keeps its made-up user id in. */
export const USER_COOKIE = 'chat-user';

/**
 * Your session check goes here: return the signed-in user's id, or null for 401. This example
 * trusts a cookie (or `guest`), which is fine on 127.0.0.1 and nowhere else.
 */
export function sessionUserId(request: Request): string | null {
  const cookie = request.headers.get('cookie') ?? '';
  const value = /(?:^|;\s*)chat-user=([^;]+)/.exec(cookie)?.[1];
  if (value === undefined) return 'guest';
  return isValidSegment(value) ? value : null;
}
