/**
 * Authentication and authorization for the embedded Aedes broker.
 *
 * - Browsers connect with username = user id and password = a chat token (see `createJwtIssuer`);
 *   the token must verify and its subject must equal the username. The session is closed when
 *   the token expires.
 * - Browsers must use a clean session (a persistent one would queue messages for nobody, without
 *   limit) and a client id bound to their user (`{userId}_{suffix}`, see `client-ids.ts`), so no
 *   user can end another user's session by presenting its client id.
 * - Workers connect as service accounts: username `svc@...`, a shared secret, a client id in the
 *   reserved `svc-` namespace, and (by default) over TCP only, since browsers can only speak
 *   WebSocket: a leaked worker secret is useless from a web page.
 * - Every SUBSCRIBE and PUBLISH goes through {@link authorize} (DESIGN.md's table). Refused
 *   subscriptions get SUBACK 128; a refused publish ends the session (MQTT 3.1.1 has no way to
 *   say "refused" for a publish, and a client that tries is misbehaving).
 * - Deliveries are checked again, so a retained message can only reach who may read it.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import { Socket } from 'node:net';
import type { Aedes, AedesOptions } from 'aedes';
import type { JWTVerifyGetKey, CryptoKey, KeyObject } from 'jose';
import { TopicScheme } from '../transport/topics.js';
import { verifyChatToken, type VerificationKey } from '../server/credentials/jwt.js';
import { isServiceUsername } from '../server/credentials/service-account.js';
import { clientIdOwner, isReservedClientId } from '../transport/client-ids.js';
import { authorize, mayReceive, type AclAction, type Principal } from './acl.js';
import { ConnectionGuard } from './connection-guard.js';

type Client = Parameters<NonNullable<AedesOptions['authenticate']>>[0];
type PublishPacket = Parameters<NonNullable<AedesOptions['authorizePublish']>>[1];

/** Default per-packet limit for browsers: requests and controls are small. */
export const DEFAULT_BROWSER_MAX_PACKET_SIZE = 256 * 1024;
/** Default per-packet limit for workers: a retained `complete` holds a whole answer. */
export const DEFAULT_SERVICE_MAX_PACKET_SIZE = 8 * 1024 * 1024;

/** MQTT 3.1.1 CONNACK return codes Aedes understands. */
const IDENTIFIER_REJECTED = 2;
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

/** A worker account known to the broker. */
export interface BrokerServiceAccount {
  username: string;
  password: string;
  /** The one client id this account may connect with (recommended; `createServiceAccount` sets it). */
  clientId?: string;
}

/** Options of {@link applyBrokerAuth}: who may connect (JWT secret, service accounts) and the topic prefix. */
export interface BrokerAuthOptions {
  /** Topic prefix of the kit (default `chat`). */
  topicPrefix?: string;
  /** HMAC secret shared with `createJwtIssuer({ secret })`. Give this, `publicKey` or `jwks`. */
  jwtSecret?: string | Uint8Array;
  /** Public key matching `createJwtIssuer({ privateKey })`; requires `algorithms`. */
  publicKey?: CryptoKey | KeyObject;
  /** A JWKS (jose's `createRemoteJWKSet` / `createLocalJWKSet`); requires `algorithms`. */
  jwks?: JWTVerifyGetKey;
  /** Accepted algorithms for `publicKey` / `jwks`, e.g. `['ES256']`. */
  algorithms?: string[];
  /** Expected `iss` / `aud` claims, when the issuer sets them. */
  issuer?: string;
  audience?: string;
  /** Worker accounts (usernames `svc@...`). */
  serviceAccounts?: readonly BrokerServiceAccount[];
  /** Or a custom check for worker accounts (e.g. against a secrets store). */
  verifyService?: (username: string, password: string, clientId: string) => boolean | Promise<boolean>;
  /** Let service accounts connect over WebSocket too (default false). */
  allowServiceOverWebSocket?: boolean;
  /** Largest PUBLISH a browser may send, bytes (default 256 KiB); larger ends the session. */
  browserMaxPacketSize?: number;
  /** Largest PUBLISH a worker may send, bytes (default 8 MiB). */
  serviceMaxPacketSize?: number;
  /** Called for every refusal, for audit logs and tests. */
  onDenied?: (event: DeniedEvent) => void;
  /** Clock, for tests. */
  now?: () => number;
}

/** One refusal, as reported to {@link BrokerAuthOptions.onDenied}. */
export interface DeniedEvent {
  stage: 'connect' | 'subscribe' | 'publish' | 'expired';
  clientId: string;
  username?: string;
  topic?: string;
  reason: string;
}

/** What {@link applyBrokerAuth} returns: a way to look up sessions, and to undo the wiring. */
export interface BrokerAuth {
  /** The principal of a connected client, if it authenticated. */
  principalOf(clientId: string): Principal | undefined;
  /** The session of one connection (its principal and packet budget), once it has authenticated. */
  sessionOf(client: Client): { principal: Principal; maxPacketSize: number } | undefined;
  /** Stops expiry timers (the broker's own `close()` disconnects the clients). */
  dispose(): void;
}

interface Session {
  principal: Principal;
  maxPacketSize: number;
  expiryTimer?: ReturnType<typeof setTimeout>;
}

function authError(message: string, returnCode: number): Error & { returnCode: number } {
  return Object.assign(new Error(message), { returnCode });
}

/** Constant-time string comparison (hashing first makes lengths equal). */
function secretEquals(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Browsers can only open WebSockets: a connection that is not a plain TCP socket came through one. */
function viaWebSocket(client: Client): boolean {
  const conn: unknown = client.conn;
  if (conn instanceof ConnectionGuard) return conn.transport === 'websocket';
  return client.req !== undefined || !(conn instanceof Socket);
}

function verificationKey(options: BrokerAuthOptions): VerificationKey | undefined {
  if (options.jwtSecret !== undefined) return { secret: options.jwtSecret };
  if (options.publicKey) return { publicKey: options.publicKey, algorithms: options.algorithms ?? [] };
  if (options.jwks) return { jwks: options.jwks, algorithms: options.algorithms ?? [] };
  return undefined;
}

/** Bytes of a PUBLISH as it travelled (fixed header estimate + topic + payload). */
function packetSize(packet: PublishPacket): number {
  const payload = typeof packet.payload === 'string' ? Buffer.byteLength(packet.payload) : packet.payload.byteLength;
  return 5 + 2 + Buffer.byteLength(packet.topic) + (packet.qos > 0 ? 2 : 0) + payload;
}

/**
 * Installs authentication and the ACL on an Aedes instance. `startEmbeddedBroker({ auth })`
 * calls this; call it yourself when you run Aedes on your own.
 */
export function applyBrokerAuth(aedes: Aedes, options: BrokerAuthOptions): BrokerAuth {
  const scheme = new TopicScheme(options.topicPrefix);
  const key = verificationKey(options);
  if ((options.publicKey || options.jwks) && !options.algorithms?.length) {
    throw new TypeError('applyBrokerAuth: `algorithms` is required with `publicKey` or `jwks`.');
  }
  const now = options.now ?? Date.now;
  const browserMax = options.browserMaxPacketSize ?? DEFAULT_BROWSER_MAX_PACKET_SIZE;
  const serviceMax = options.serviceMaxPacketSize ?? DEFAULT_SERVICE_MAX_PACKET_SIZE;
  const denied = options.onDenied ?? (() => {});
  const sessions = new Map<string, Session>();
  // Keyed by the client object too: a second connection with the same id must not inherit or clear another's session.
  const byClient = new WeakMap<Client, Session>();

  const verifyService = async (username: string, password: string, clientId: string): Promise<boolean> => {
    if (options.verifyService) return options.verifyService(username, password, clientId);
    let ok = false;
    // Compare against every account so timing does not reveal which usernames exist.
    for (const account of options.serviceAccounts ?? []) {
      const matches = secretEquals(username, account.username) && secretEquals(password, account.password) && (account.clientId === undefined || account.clientId === clientId);
      ok = matches || ok;
    }
    return ok;
  };

  const endSession = (client: Client) => {
    const session = byClient.get(client);
    if (!session) return;
    clearTimeout(session.expiryTimer);
    byClient.delete(client);
    if (sessions.get(client.id) === session) sessions.delete(client.id);
  };

  const resolvePrincipal = async (client: Client, username: string | undefined, password: string): Promise<{ principal: Principal; expiresAt?: number }> => {
    if (!username || !password) throw authError('username and password are required', NOT_AUTHORIZED);
    if (isServiceUsername(username)) {
      if (!isReservedClientId(client.id)) throw authError('service accounts must use a client id starting with svc-', NOT_AUTHORIZED);
      if (viaWebSocket(client) && !options.allowServiceOverWebSocket) throw authError('service accounts may not connect over WebSocket', NOT_AUTHORIZED);
      if (!(await verifyService(username, password, client.id))) throw authError('bad service credentials', BAD_USERNAME_OR_PASSWORD);
      return { principal: { kind: 'service', username } };
    }
    // Browsers may not use the service namespace: taking over a worker's client id would disconnect it.
    if (isReservedClientId(client.id)) throw authError('client ids starting with svc- are reserved for service accounts', NOT_AUTHORIZED);
    // A persistent session would queue messages for a browser that is gone, with no bound.
    if (!client.clean) throw authError('browsers may not open persistent sessions (clean: false)', NOT_AUTHORIZED);
    if (!key) throw authError('token authentication is not configured', NOT_AUTHORIZED);
    let token: { userId: string; expiresAt: number };
    try {
      token = await verifyChatToken(password, { ...key, topicPrefix: scheme.prefix, issuer: options.issuer, audience: options.audience, username, now });
    } catch (error) {
      throw authError(error instanceof Error ? error.message : 'invalid token', BAD_USERNAME_OR_PASSWORD);
    }
    // Taking over a session needs its client id: only ids bound to the token's user are accepted.
    if (clientIdOwner(client.id) !== token.userId) throw authError(`client id is not bound to user ${token.userId} (expected ${token.userId}_{suffix})`, IDENTIFIER_REJECTED);
    return { principal: { kind: 'browser', userId: token.userId, clientId: client.id }, expiresAt: token.expiresAt };
  };

  aedes.authenticate = (client, username, password, done) => {
    const secret = password ? Buffer.from(password).toString('utf8') : '';
    resolvePrincipal(client, username ?? undefined, secret).then(
      ({ principal, expiresAt }) => {
        const session: Session = { principal, maxPacketSize: principal.kind === 'browser' ? browserMax : serviceMax };
        if (expiresAt !== undefined) {
          // Tokens are checked once at CONNECT; the timer is what makes `exp` hold for the session.
          session.expiryTimer = setTimeout(
            () => {
              denied({ stage: 'expired', clientId: client.id, username: username ?? undefined, reason: 'token expired' });
              client.close();
            },
            Math.min(Math.max(0, expiresAt - now()), 2 ** 31 - 1),
          );
          session.expiryTimer.unref?.();
        }
        byClient.set(client, session);
        sessions.set(client.id, session);
        done(null, true);
      },
      (error: Error & { returnCode?: number }) => {
        denied({ stage: 'connect', clientId: client.id, username: username ?? undefined, reason: error.message });
        done(authError(error.message, error.returnCode ?? NOT_AUTHORIZED), false);
      },
    );
  };

  aedes.authorizeSubscribe = (client, subscription, done) => {
    const session = byClient.get(client);
    if (!session) return done(null, null);
    const action: AclAction = { type: 'subscribe', filter: subscription.topic, qos: subscription.qos };
    const decision = authorize(scheme, session.principal, action);
    if (!decision.allow) {
      denied({ stage: 'subscribe', clientId: client.id, topic: subscription.topic, reason: decision.reason });
      // A null subscription is Aedes' way to answer 128 for this topic and keep the session.
      return done(null, null);
    }
    done(null, decision.qos === undefined || decision.qos === subscription.qos ? subscription : { ...subscription, qos: decision.qos as 0 | 1 | 2 });
  };

  aedes.authorizePublish = (client, packet, done) => {
    // Client null: a will left by a client of another (dead) broker instance. Its author's
    // rights cannot be checked any more, so it is not published.
    if (!client) return done(new Error('publish refused: no client to authorize'));
    const session = byClient.get(client);
    const reason = !session
      ? 'not authenticated'
      : packetSize(packet) > session.maxPacketSize
        ? `packet larger than ${session.maxPacketSize} bytes`
        : (() => {
            const decision = authorize(scheme, session.principal, { type: 'publish', topic: packet.topic, qos: packet.qos, retain: packet.retain });
            return decision.allow ? undefined : decision.reason;
          })();
    if (reason === undefined) return done(null);
    denied({ stage: 'publish', clientId: client.id, topic: packet.topic, reason });
    done(new Error(`publish refused: ${reason}`));
  };

  aedes.authorizeForward = (client, packet) => {
    const session = byClient.get(client);
    if (!session) return null;
    return mayReceive(scheme, session.principal, packet.topic) ? packet : null;
  };

  // Only on disconnect, not on clientError: the will of a crashed client is authorized after
  // its error and before its disconnect, and needs the session to be checked against.
  const onDisconnect = (client: Client) => endSession(client);
  aedes.on('clientDisconnect', onDisconnect);

  return {
    principalOf: (clientId) => sessions.get(clientId)?.principal,
    sessionOf(client) {
      const session = byClient.get(client);
      return session && { principal: session.principal, maxPacketSize: session.maxPacketSize };
    },
    dispose() {
      aedes.removeListener('clientDisconnect', onDisconnect);
      for (const session of sessions.values()) clearTimeout(session.expiryTimer);
      sessions.clear();
    },
  };
}
