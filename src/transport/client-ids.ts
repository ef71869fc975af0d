/**
 * Who may use which MQTT client id. A broker disconnects a session when another connection
 * presents the same client id, so a client id is a capability: whoever may use it may end the
 * session of whoever holds it. The kit therefore splits the id space in two, and the issuers and
 * the embedded broker enforce it:
 *
 * - browser client ids are `{userId}_{suffix}`, the suffix plain letters and digits: the owner
 *   is everything before the last `_`, so no user can present another user's id;
 * - infrastructure (workers, HTTP triggers, the dynsec admin) uses the reserved `svc-` prefix,
 *   which no browser may present and no user id may start with.
 *
 * Both rules are unambiguous although user ids may contain `_`: `alice_x`'s ids end in
 * `_{suffix}` with a suffix of letters and digits only, so `alice_x_Ab3…` parses as user
 * `alice_x`, never as user `alice`.
 */
import { randomId } from './ids.js';
import { isValidSegment } from './topics.js';
import { ChatKitError } from './errors.js';

/** Client ids of infrastructure connections start with this; browsers may never use it. */
export const RESERVED_CLIENT_ID_PREFIX = 'svc-';
/** Characters of the random part of a bound browser client id. */
export const BROWSER_CLIENT_ID_SUFFIX_LENGTH = 12;
/** Longest user id a client id can be bound to: the id must stay a 64-character topic segment. */
export const MAX_BINDABLE_USER_ID_LENGTH = 64 - 1 - BROWSER_CLIENT_ID_SUFFIX_LENGTH;

const SUFFIX = /^[A-Za-z0-9]{8,}$/;

/** True for client ids in the infrastructure namespace (`svc-...`). */
export function isReservedClientId(clientId: string | undefined): boolean {
  return typeof clientId === 'string' && clientId.startsWith(RESERVED_CLIENT_ID_PREFIX);
}

/** True when a browser client id can be bound to this user (valid, short enough, not reserved). */
export function canBindClientId(userId: string): boolean {
  return isValidSegment(userId) && userId.length <= MAX_BINDABLE_USER_ID_LENGTH && !isReservedClientId(userId);
}

/**
 * The user a browser client id belongs to, or null when the id is not a bound browser id
 * (reserved, malformed, or a free-form id such as `csk_...` from before binding).
 */
export function clientIdOwner(clientId: string): string | null {
  if (!isValidSegment(clientId) || isReservedClientId(clientId)) return null;
  const cut = clientId.lastIndexOf('_');
  if (cut <= 0) return null;
  const owner = clientId.slice(0, cut);
  return SUFFIX.test(clientId.slice(cut + 1)) && canBindClientId(owner) ? owner : null;
}

/** True when `clientId` is a browser client id bound to `userId`. */
export function isClientIdOf(clientId: string, userId: string): boolean {
  return clientIdOwner(clientId) === userId;
}

/**
 * A fresh browser client id bound to `userId`. Throws a typed error for user ids that cannot be
 * bound (longer than {@link MAX_BINDABLE_USER_ID_LENGTH}, or in the reserved namespace).
 */
export function newBrowserClientId(userId: string): string {
  if (!canBindClientId(userId)) {
    throw new ChatKitError('invalid-options', `user id cannot own a client id: it must be a topic segment of at most ${MAX_BINDABLE_USER_ID_LENGTH} characters not starting with "${RESERVED_CLIENT_ID_PREFIX}"`);
  }
  return `${userId}_${randomId(BROWSER_CLIENT_ID_SUFFIX_LENGTH)}`;
}

/** The tab's own id when it is already bound to `userId` (so a refresh keeps it), else a new one. */
export function bindClientId(userId: string, requested: string | undefined): string {
  return requested !== undefined && isClientIdOf(requested, userId) ? requested : newBrowserClientId(userId);
}
