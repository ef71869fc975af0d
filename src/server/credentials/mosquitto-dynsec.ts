/**
 * Mosquitto issuer: per-user roles and per-tab accounts in Mosquitto's dynamic-security plugin,
 * provisioned over its control topic.
 *
 * - Each user has one role holding exactly that user's rights (dynamic security has no `%u`),
 *   and each tab a role for its own `replay/{clientId}` topic (no `%c` either).
 * - Each (user, client id) pair has one account, username `{userId}.{clientId}`, bound to that
 *   client id. A `.` cannot appear in a user id, so no account name can clash with another
 *   user's, a service account (`svc@`) or an admin.
 * - Every issue for the same pair sets a fresh random password: the previous one is refused
 *   from then on. Mosquitto disconnects a session whose password changes, so accounts are per
 *   tab: one tab's refresh never disconnects the user's other tabs.
 * - Client ids are bound to the user (`{userId}_{suffix}`, see `client-ids.ts`): a tab asking
 *   for another user's client id, or the admin's, gets a fresh one of its own instead.
 * - Credentials that reach `expiresAt` without a newer issue are deleted (which also ends a
 *   session still using them): expiry is enforced by the broker, as with signed tokens. The
 *   expiry is stored with the account (its `textdescription`), and `setup()` sweeps: an issuer
 *   that restarts deletes the accounts that expired while it was down and re-arms the others.
 * - A user holds at most `maxAccountsPerUser` accounts; a new tab past it replaces the account
 *   that expires first, so repeated calls cannot grow the dynsec file without bound.
 */
import { randomBytes } from 'node:crypto';
import { TopicScheme, assertSegment } from '../../transport/topics.js';
import { clientIdOf, type MqttClientLike } from '../../transport/mqtt-client.js';
import { isReservedClientId, RESERVED_CLIENT_ID_PREFIX } from '../../transport/client-ids.js';
import {
  DYNSEC_SERVICE_ROLE,
  dynsecDefaultAccessCommands,
  dynsecTabRoleCommands,
  dynsecTabRoleName,
  dynsecServiceRoleCommands,
  dynsecUserRoleCommands,
  dynsecUserRoleName,
  type DynsecCommand,
} from '../security/mosquitto-config.js';
import { createDynsecControl, type DynsecResponse } from './dynsec-control.js';
import { IssuerError } from './errors.js';
import { DEFAULT_TOKEN_TTL_SECONDS, MAX_TOKEN_TTL_SECONDS } from './jwt.js';
import { assertServiceAccount, type ServiceAccount } from './service-account.js';
import { bindClientId } from '../../transport/client-ids.js';
import type { CredentialIssuer, IssueRequest, IssuedCredentials } from './types.js';

/** Options of {@link createMosquittoDynsecIssuer}. */
export interface MosquittoDynsecIssuerOptions {
  /** An MQTT connection authenticated as a dynamic-security admin (server-side only). */
  admin: MqttClientLike;
  topicPrefix?: string;
  /** Lifetime when the handler asks for none (default 900 s). */
  ttlSeconds?: number;
  /** Delete accounts whose credentials expired unrenewed (default true). */
  revokeOnExpiry?: boolean;
  /** Accounts (tabs) one user may hold; a new tab past it replaces the one expiring first. Default 16. */
  maxAccountsPerUser?: number;
  /** How long to wait for Mosquitto's answers (default 5000 ms). */
  timeoutMs?: number;
  now?: () => number;
}

/** Issues Mosquitto dynamic-security accounts per browser tab; `setup()` prepares the roles once. */
export interface MosquittoDynsecIssuer extends CredentialIssuer {
  /**
   * Idempotent: default-deny access and the worker role, then the expiry sweep (accounts that
   * expired while no issuer ran are deleted, the others get their timers back). Run once on
   * every start, before issuing. The admin connection must use a reserved `svc-` client id.
   */
  setup(): Promise<void>;
  /** Creates or updates a worker account bound to its client id (see {@link createServiceAccount}). */
  provisionServiceAccount(account: ServiceAccount): Promise<void>;
  /** Deletes every account this issuer created for the user (sign-out, ban); ends their sessions. */
  revoke(userId: string): Promise<void>;
  /** Cancels expiry timers and stops listening on the admin connection. */
  close(): void;
}

/** Errors that only say "already there": provisioning is idempotent. */
const ALREADY_EXISTS = /already exists/i;
/** `textname` of every tab account this issuer creates: how a restarted issuer finds them. */
const ACCOUNT_TEXTNAME = 'ai-chat-kit tab';
/** Default of {@link MosquittoDynsecIssuerOptions.maxAccountsPerUser}. */
export const DEFAULT_MAX_DYNSEC_ACCOUNTS_PER_USER = 16;

/** The stored expiry, as written in an account's `textdescription`. */
function expiryDescription(expiresAt: number): string {
  return `expiresAt=${expiresAt}`;
}

function parseExpiry(description: unknown): number | undefined {
  const match = typeof description === 'string' ? /^expiresAt=(\d+)$/.exec(description) : null;
  return match ? Number(match[1]) : undefined;
}

function newSecret(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

/** The dynsec username of one tab of one user. */
export function dynsecAccountName(userId: string, clientId: string): string {
  return `${userId}.${clientId}`;
}

/** Creates the Mosquitto dynamic-security issuer. Call `setup()` once before the first issue. */
export function createMosquittoDynsecIssuer(options: MosquittoDynsecIssuerOptions): MosquittoDynsecIssuer {
  const scheme = new TopicScheme(options.topicPrefix);
  const control = createDynsecControl(options.admin, options.timeoutMs);
  const now = options.now ?? Date.now;
  const revokeOnExpiry = options.revokeOnExpiry ?? true;
  const maxAccountsPerUser = options.maxAccountsPerUser ?? DEFAULT_MAX_DYNSEC_ACCOUNTS_PER_USER;
  if (!Number.isSafeInteger(maxAccountsPerUser) || maxAccountsPerUser < 1) throw new IssuerError('mosquitto-dynsec', 'maxAccountsPerUser must be a positive integer');
  const roles = new Set<string>();
  /** Accounts of this issuer (created now or found by the sweep), per user: expiry and timer. */
  const accounts = new Map<string, Map<string, { expiresAt: number; timer?: ReturnType<typeof setTimeout> }>>();
  // One operation per account at a time: a rotation must not interleave with its deletion.
  const queues = new Map<string, Promise<unknown>>();

  const serial = <T>(key: string, task: () => Promise<T>): Promise<T> => {
    const next = (queues.get(key) ?? Promise.resolve()).then(task, task);
    const settled = next.catch(() => {});
    queues.set(key, settled);
    void settled.then(() => {
      if (queues.get(key) === settled) queues.delete(key);
    });
    return next;
  };

  const run = async (commands: DynsecCommand[], tolerateExisting = true): Promise<DynsecResponse[]> => {
    const responses = await control.send(commands);
    const failed = responses.find((response) => response.error && !(tolerateExisting && ALREADY_EXISTS.test(response.error)));
    if (failed) throw new IssuerError('mosquitto-dynsec', `${failed.command} failed: ${failed.error}`);
    return responses;
  };

  const ensureRole = async (userId: string) => {
    if (roles.has(userId)) return;
    await run(dynsecUserRoleCommands(scheme, userId));
    roles.add(userId);
  };

  /** Refuses to touch an existing account that is not exactly this tab's chat account. */
  const assertOurs = async (username: string, userId: string, clientId: string): Promise<boolean> => {
    const [info] = await control.send([{ command: 'getClient', username }]);
    if (info.error) return false;
    const client = (info.data as { client?: { clientid?: string; roles?: Array<{ rolename?: string }>; groups?: unknown[] } } | undefined)?.client;
    const roleNames = (client?.roles ?? []).map((role) => role.rolename).sort();
    const expected = [dynsecUserRoleName(userId), dynsecTabRoleName(userId, clientId)].sort();
    const ours = roleNames.join('\n') === expected.join('\n') && (client?.groups ?? []).length === 0 && client?.clientid === clientId;
    if (!ours) throw new IssuerError('mosquitto-dynsec', `account ${username} exists and is not a chat account; refusing to take it over`);
    return true;
  };

  const deleteAccount = async (userId: string, clientId: string) => {
    const perUser = accounts.get(userId);
    clearTimeout(perUser?.get(clientId)?.timer);
    perUser?.delete(clientId);
    if (perUser?.size === 0) accounts.delete(userId);
    const responses = await control.send([
      { command: 'deleteClient', username: dynsecAccountName(userId, clientId) },
      { command: 'deleteRole', rolename: dynsecTabRoleName(userId, clientId) },
    ]);
    const failed = responses.find((response) => response.error && !/not found/i.test(response.error));
    if (failed) throw new IssuerError('mosquitto-dynsec', `${failed.command} failed: ${failed.error}`);
  };

  const track = (userId: string, clientId: string, expiresAt: number) => {
    const perUser = accounts.get(userId) ?? new Map();
    accounts.set(userId, perUser);
    clearTimeout(perUser.get(clientId)?.timer);
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (revokeOnExpiry) {
      const key = dynsecAccountName(userId, clientId);
      timer = setTimeout(() => void serial(key, () => deleteAccount(userId, clientId)).catch(() => {}), Math.min(Math.max(0, expiresAt - now()), 2 ** 31 - 1));
      timer.unref?.();
    }
    perUser.set(clientId, { expiresAt, timer });
  };

  /** Makes room for one more tab of `userId`: deletes the accounts expiring first past the cap. */
  const makeRoom = async (userId: string, clientId: string) => {
    const perUser = accounts.get(userId);
    if (!perUser || perUser.has(clientId)) return;
    const byExpiry = [...perUser.entries()].sort(([, a], [, b]) => a.expiresAt - b.expiresAt);
    const excess = byExpiry.slice(0, Math.max(0, perUser.size + 1 - maxAccountsPerUser));
    await Promise.all(excess.map(([oldest]) => serial(dynsecAccountName(userId, oldest), () => deleteAccount(userId, oldest))));
  };

  /** Finds this issuer's accounts in dynsec: deletes the expired ones, re-arms the others. */
  const sweep = async () => {
    const [listed] = await control.send([{ command: 'listClients', verbose: true }]);
    if (listed.error) throw new IssuerError('mosquitto-dynsec', `listClients failed: ${listed.error}`);
    const clients = (listed.data as { clients?: Array<{ username?: string; clientid?: string; textname?: string; textdescription?: string }> } | undefined)?.clients ?? [];
    const expired: Array<Promise<void>> = [];
    for (const client of clients) {
      if (client.textname !== ACCOUNT_TEXTNAME || typeof client.username !== 'string' || typeof client.clientid !== 'string') continue;
      const userId = client.username.slice(0, client.username.indexOf('.'));
      const clientId = client.clientid;
      if (client.username !== dynsecAccountName(userId, clientId)) continue;
      // An account without a readable expiry cannot be trusted to end: treat it as expired.
      const expiresAt = parseExpiry(client.textdescription) ?? 0;
      if (expiresAt <= now()) {
        if (revokeOnExpiry) expired.push(serial(client.username, () => deleteAccount(userId, clientId)));
      } else track(userId, clientId, expiresAt);
    }
    await Promise.all(expired);
  };

  /** Creates the tab's account, or rotates its password; either way stores the new expiry with it. */
  const provisionTab = async (userId: string, clientId: string, username: string, ttlSeconds: number): Promise<IssuedCredentials> => {
    await ensureRole(userId);
    const password = newSecret(24);
    const expiresAt = now() + ttlSeconds * 1000;
    if (await assertOurs(username, userId, clientId)) {
      await run([{ command: 'modifyClient', username, password, textdescription: expiryDescription(expiresAt) }]);
    } else {
      await run(dynsecTabRoleCommands(scheme, userId, clientId));
      const roles = [{ rolename: dynsecUserRoleName(userId) }, { rolename: dynsecTabRoleName(userId, clientId) }];
      await run([{ command: 'createClient', username, password, clientid: clientId, textname: ACCOUNT_TEXTNAME, textdescription: expiryDescription(expiresAt), roles }], false);
    }
    track(userId, clientId, expiresAt);
    return { username, password, clientId, expiresAt };
  };

  return {
    name: 'mosquitto-dynsec',
    async setup() {
      // The admin connection is infrastructure: in the reserved namespace no tab's id can reach.
      const adminClientId = clientIdOf(options.admin);
      if (adminClientId !== undefined && !isReservedClientId(adminClientId)) {
        throw new IssuerError('mosquitto-dynsec', `the admin connection must use a client id starting with "${RESERVED_CLIENT_ID_PREFIX}" (got "${adminClientId}")`);
      }
      await run([...dynsecDefaultAccessCommands(), ...dynsecServiceRoleCommands(scheme)]);
      await sweep();
    },
    async provisionServiceAccount(account) {
      assertServiceAccount(account);
      await run([
        { command: 'createClient', username: account.username, password: account.password, clientid: account.clientId, roles: [{ rolename: DYNSEC_SERVICE_ROLE }] },
      ]);
      // For an existing account, make password and client id match what was asked.
      await run([
        { command: 'setClientPassword', username: account.username, password: account.password },
        { command: 'setClientId', username: account.username, clientid: account.clientId },
      ]);
    },
    async issue(request: IssueRequest): Promise<IssuedCredentials> {
      assertSegment('userId', request.userId);
      // Bound to the user: asking for another user's (or the admin's) client id gets a fresh one.
      const clientId = bindClientId(request.userId, request.clientId);
      const ttl = Math.max(1, Math.min(request.ttlSeconds || options.ttlSeconds || DEFAULT_TOKEN_TTL_SECONDS, MAX_TOKEN_TTL_SECONDS));
      const username = dynsecAccountName(request.userId, clientId);
      // One issue per user at a time, so concurrent new tabs cannot all pass the cap together.
      return serial(`user:${request.userId}`, async () => {
        await makeRoom(request.userId, clientId);
        return serial(username, () => provisionTab(request.userId, clientId, username, ttl));
      });
    },
    async revoke(userId) {
      assertSegment('userId', userId);
      const clientIds = [...(accounts.get(userId)?.keys() ?? [])];
      await Promise.all(clientIds.map((clientId) => serial(dynsecAccountName(userId, clientId), () => deleteAccount(userId, clientId))));
    },
    close() {
      for (const perUser of accounts.values()) for (const { timer } of perUser.values()) clearTimeout(timer);
      control.close();
    },
  };
}
