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
 * - Credentials that reach `expiresAt` without a newer issue are deleted (which also ends a
 *   session still using them): expiry is enforced by the broker, as with signed tokens.
 */
import { randomBytes } from 'node:crypto';
import { TopicScheme, assertSegment } from '../../transport/topics.js';
import type { MqttClientLike } from '../../transport/mqtt-client.js';
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
import { assertServiceAccount, isServiceClientId, type ServiceAccount } from './service-account.js';
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
  /** How long to wait for Mosquitto's answers (default 5000 ms). */
  timeoutMs?: number;
  now?: () => number;
}

/** Issues Mosquitto dynamic-security accounts per browser tab; `setup()` prepares the roles once. */
export interface MosquittoDynsecIssuer extends CredentialIssuer {
  /** Idempotent: default-deny access and the worker role. Run once before issuing. */
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
  const roles = new Set<string>();
  /** Accounts this issuer created, per user, with their expiry timers. */
  const accounts = new Map<string, Map<string, ReturnType<typeof setTimeout> | undefined>>();
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
    clearTimeout(perUser?.get(clientId));
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
    clearTimeout(perUser.get(clientId));
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (revokeOnExpiry) {
      const key = dynsecAccountName(userId, clientId);
      timer = setTimeout(() => void serial(key, () => deleteAccount(userId, clientId)).catch(() => {}), Math.min(Math.max(0, expiresAt - now()), 2 ** 31 - 1));
      timer.unref?.();
    }
    perUser.set(clientId, timer);
  };

  return {
    name: 'mosquitto-dynsec',
    async setup() {
      await run([...dynsecDefaultAccessCommands(), ...dynsecServiceRoleCommands(scheme)]);
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
      const clientId = request.clientId !== undefined && !isServiceClientId(request.clientId) ? request.clientId : `csk_${newSecret(12)}`;
      assertSegment('clientId', clientId);
      const ttl = Math.max(1, Math.min(request.ttlSeconds || options.ttlSeconds || DEFAULT_TOKEN_TTL_SECONDS, MAX_TOKEN_TTL_SECONDS));
      const username = dynsecAccountName(request.userId, clientId);
      return serial(username, async () => {
        await ensureRole(request.userId);
        const password = newSecret(24);
        if (await assertOurs(username, request.userId, clientId)) {
          await run([{ command: 'setClientPassword', username, password }]);
        } else {
          await run(dynsecTabRoleCommands(scheme, request.userId, clientId));
          const roles = [{ rolename: dynsecUserRoleName(request.userId) }, { rolename: dynsecTabRoleName(request.userId, clientId) }];
          await run([{ command: 'createClient', username, password, clientid: clientId, roles }], false);
        }
        const expiresAt = now() + ttl * 1000;
        track(request.userId, clientId, expiresAt);
        return { username, password, clientId, expiresAt };
      });
    },
    async revoke(userId) {
      assertSegment('userId', userId);
      const clientIds = [...(accounts.get(userId)?.keys() ?? [])];
      await Promise.all(clientIds.map((clientId) => serial(dynsecAccountName(userId, clientId), () => deleteAccount(userId, clientId))));
    },
    close() {
      for (const perUser of accounts.values()) for (const timer of perUser.values()) clearTimeout(timer);
      control.close();
    },
  };
}
