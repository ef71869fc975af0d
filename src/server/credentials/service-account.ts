/**
 * Service accounts: how workers authenticate. They never use a browser credential, and the
 * names are chosen so the two can never be confused:
 * - a service username starts with `svc@`, which no user id can (user ids are topic segments,
 *   `[A-Za-z0-9_-]`) or dynsec tab account (`{userId}.{clientId}`) can, and which password files
 *   accept (they forbid `:`), so no issuer can ever hand a browser a service account by name clash;
 * - a service client id starts with `svc-`, which browsers may not use, so a leaked worker
 *   secret cannot be used from a browser-style client id, and no browser can take over
 *   (disconnect) a worker by reusing its client id.
 */
import { randomBytes } from 'node:crypto';
import { RESERVED_CLIENT_ID_PREFIX, isReservedClientId } from '../../transport/client-ids.js';
import { CredentialError } from './errors.js';

/** Usernames of service accounts start with this; no user id can (user ids have no `@`). */
export const SERVICE_USERNAME_PREFIX = 'svc@';
/** Client ids of service accounts: the reserved infrastructure namespace (see `client-ids.ts`). */
export const SERVICE_CLIENT_ID_PREFIX = RESERVED_CLIENT_ID_PREFIX;

/** A worker's broker credentials. */
export interface ServiceAccount {
  username: string;
  password: string;
  /** The client id the worker must connect with (dynsec binds it exactly). */
  clientId: string;
}

const NAME = /^[A-Za-z0-9_-]{1,48}$/;

/** True when `username` names a service account (`svc@name`). */
export function isServiceUsername(username: string | undefined): boolean {
  return typeof username === 'string' && username.startsWith(SERVICE_USERNAME_PREFIX) && NAME.test(username.slice(SERVICE_USERNAME_PREFIX.length));
}

/** True for client ids in the reserved infrastructure namespace (`svc-...`). */
export function isServiceClientId(clientId: string | undefined): boolean {
  return isReservedClientId(clientId);
}

/** Throws unless `account` follows the naming rules above and has a strong password. */
export function assertServiceAccount(account: ServiceAccount): void {
  if (!isServiceUsername(account.username)) throw new CredentialError('invalid-options', `service username must be "${SERVICE_USERNAME_PREFIX}" + [A-Za-z0-9_-]{1,48}`);
  if (!isServiceClientId(account.clientId) || !NAME.test(account.clientId)) {
    throw new CredentialError('invalid-options', `service client id must start with "${SERVICE_CLIENT_ID_PREFIX}" and match [A-Za-z0-9_-]{1,48}`);
  }
  if (account.password.length < 24) throw new CredentialError('invalid-options', 'service password must be at least 24 characters');
}

/**
 * Creates a service account with a random secret for worker `name` (e.g. `worker-1`):
 * username `svc@worker-1`, client id `svc-worker-1`. Store the password in the worker's secrets.
 */
export function createServiceAccount(name: string): ServiceAccount {
  const account = { username: `${SERVICE_USERNAME_PREFIX}${name}`, password: randomBytes(24).toString('base64url'), clientId: `${SERVICE_CLIENT_ID_PREFIX}${name}` };
  assertServiceAccount(account);
  return account;
}
