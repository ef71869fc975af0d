/**
 * Signed broker tokens: the JWT issuer and the one verifier the embedded broker uses. Keeping
 * both here means the claims a token carries and the checks made on it cannot drift apart.
 *
 * A token is the MQTT password; the MQTT username must equal its subject (the user id). The
 * `acl` claim follows EMQX's JWT ACL format (5.5+) so EMQX can enforce the same table without a
 * separate rule file; other brokers ignore it.
 */
import { SignJWT, jwtVerify, errors as joseErrors, type JWTPayload, type JWTVerifyGetKey, type CryptoKey, type KeyObject } from 'jose';
import { randomUUID } from 'node:crypto';
import { TopicScheme, assertSegment } from '../../transport/topics.js';
import { bindClientId } from '../../transport/client-ids.js';
import { browserGrants } from '../../transport/access-table.js';
import { CredentialError, InvalidTokenError } from './errors.js';
import type { CredentialIssuer, IssueRequest, IssuedCredentials } from './types.js';

/** Default token lifetime: 15 minutes, short enough that a leaked token is soon worthless. */
export const DEFAULT_TOKEN_TTL_SECONDS = 15 * 60;
/** Hard ceiling whatever the caller asks for: a day. */
export const MAX_TOKEN_TTL_SECONDS = 24 * 60 * 60;
/** HMAC secrets shorter than this are refused: a guessable secret lets anyone mint tokens. */
export const MIN_SECRET_BYTES = 32;

/** Claims of a chat token beyond the registered ones. */
export interface ChatTokenClaims extends JWTPayload {
  sub: string;
  exp: number;
  /** `{prefix}/{userId}`: the only subtree this token grants. */
  topicPrefix: string;
  /** EMQX 5.5+ JWT ACL rules: the DESIGN.md table written out for this user. */
  acl?: EmqxAclRule[];
}

/** One rule of EMQX's JWT ACL claim (new format). */
export interface EmqxAclRule {
  permission: 'allow' | 'deny';
  action: 'publish' | 'subscribe' | 'all';
  topic: string;
  qos?: number[];
  retain?: boolean;
}

/** Key material: an HMAC secret, or an asymmetric key pair's private half. */
export type SigningKey = { secret: string | Uint8Array } | { privateKey: CryptoKey | KeyObject; algorithm: string; keyId?: string };

/** Options of {@link createJwtIssuer}: the signing key, and the topic prefix the tokens grant. */
export type JwtIssuerOptions = SigningKey & {
  /** Topic prefix of the kit (default `chat`). */
  topicPrefix?: string;
  /** Token lifetime when the handler asks for none; capped at {@link MAX_TOKEN_TTL_SECONDS}. */
  ttlSeconds?: number;
  /** `iss` claim, checked by the verifier when set on both sides. */
  issuer?: string;
  /** `aud` claim, checked by the verifier when set on both sides. */
  audience?: string;
  /** Adds the EMQX `acl` claim (default true). Costs ~500 bytes of password. */
  emqxAcl?: boolean;
  /** Clock, for tests. */
  now?: () => number;
};

function encodeSecret(secret: string | Uint8Array): Uint8Array {
  const bytes = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
  if (bytes.byteLength < MIN_SECRET_BYTES) {
    throw new CredentialError('invalid-options', `JWT secret must be at least ${MIN_SECRET_BYTES} bytes`);
  }
  return bytes;
}

/** The access table for one user in EMQX's ACL-claim shape (`${clientid}` is EMQX's client id placeholder). */
export function emqxAclFor(scheme: TopicScheme, userId: string): EmqxAclRule[] {
  assertSegment('userId', userId);
  return [
    ...browserGrants(scheme, { userId, chatId: '+', clientId: '${clientid}' }).map((grant): EmqxAclRule =>
      grant.access === 'read'
        ? { permission: 'allow', action: 'subscribe', topic: grant.topic, qos: [0, 1] }
        : { permission: 'allow', action: 'publish', topic: grant.topic, qos: [0, 1], retain: false },
    ),
    { permission: 'deny', action: 'all', topic: '#' },
  ];
}

/**
 * Creates an issuer of signed chat tokens. Username = user id, password = the token, client id
 * `{userId}_{suffix}` (the tab's own when it already is one, see `client-ids.ts`).
 *
 * @example
 * const issuer = createJwtIssuer({ secret: process.env.MQTT_JWT_SECRET! });
 */
export function createJwtIssuer(options: JwtIssuerOptions): CredentialIssuer {
  const scheme = new TopicScheme(options.topicPrefix);
  const now = options.now ?? Date.now;
  const emqxAcl = options.emqxAcl ?? true;
  const defaultTtl = options.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS;
  const key = 'secret' in options ? encodeSecret(options.secret) : options.privateKey;
  const algorithm = 'secret' in options ? 'HS256' : options.algorithm;
  const keyId = 'secret' in options ? undefined : options.keyId;

  return {
    name: 'jwt',
    async issue(request: IssueRequest): Promise<IssuedCredentials> {
      assertSegment('userId', request.userId);
      const ttl = Math.max(1, Math.min(request.ttlSeconds || defaultTtl, MAX_TOKEN_TTL_SECONDS));
      const issuedAt = Math.floor(now() / 1000);
      const exp = issuedAt + ttl;
      const claims: Omit<ChatTokenClaims, 'sub' | 'exp'> = { topicPrefix: `${scheme.prefix}/${request.userId}` };
      if (emqxAcl) claims.acl = emqxAclFor(scheme, request.userId);
      let jwt = new SignJWT(claims)
        .setProtectedHeader(keyId ? { alg: algorithm, kid: keyId } : { alg: algorithm })
        .setSubject(request.userId)
        .setIssuedAt(issuedAt)
        .setExpirationTime(exp)
        .setJti(randomUUID());
      if (options.issuer) jwt = jwt.setIssuer(options.issuer);
      if (options.audience) jwt = jwt.setAudience(options.audience);
      const token = await jwt.sign(key);
      // The embedded broker accepts this token only with a client id bound to the user.
      return { username: request.userId, password: token, clientId: bindClientId(request.userId, request.clientId), expiresAt: exp * 1000 };
    },
  };
}

/** How the verifier finds the key: the same HMAC secret, a public key, or a JWKS. */
export type VerificationKey = { secret: string | Uint8Array } | { publicKey: CryptoKey | KeyObject; algorithms: string[] } | { jwks: JWTVerifyGetKey; algorithms: string[] };

/** Options of {@link verifyChatToken}: the verification key, and the topic prefix expected. */
export type VerifyChatTokenOptions = VerificationKey & {
  topicPrefix?: string;
  issuer?: string;
  audience?: string;
  /** The MQTT username presented with the token; must equal the subject. */
  username: string;
  /** Clock, for tests. */
  now?: () => number;
};

/** A verified token: whose it is and until when it holds. */
export interface VerifiedChatToken {
  userId: string;
  expiresAt: number;
}

/**
 * Verifies a chat token: signature, algorithm allow-list, `exp` present and in the future,
 * subject = username and a valid user id, and the topic prefix the broker serves.
 * Throws {@link InvalidTokenError} on any failure.
 */
export async function verifyChatToken(token: string, options: VerifyChatTokenOptions): Promise<VerifiedChatToken> {
  const scheme = new TopicScheme(options.topicPrefix);
  const verifyOptions = {
    algorithms: 'secret' in options ? ['HS256', 'HS384', 'HS512'] : options.algorithms,
    issuer: options.issuer,
    audience: options.audience,
    requiredClaims: ['sub', 'exp'],
    currentDate: options.now ? new Date(options.now()) : undefined,
  };
  let payload: JWTPayload;
  try {
    if ('secret' in options) payload = (await jwtVerify(token, encodeSecret(options.secret), verifyOptions)).payload;
    else if ('publicKey' in options) payload = (await jwtVerify(token, options.publicKey, verifyOptions)).payload;
    else payload = (await jwtVerify(token, options.jwks, verifyOptions)).payload;
  } catch (error) {
    const reason = error instanceof joseErrors.JWTExpired ? 'token expired' : error instanceof joseErrors.JOSEError ? error.code : 'malformed token';
    throw new InvalidTokenError(reason, { cause: error });
  }
  const sub = payload.sub;
  if (typeof sub !== 'string' || sub !== options.username) throw new InvalidTokenError('token subject does not match the username');
  try {
    assertSegment('userId', sub);
  } catch (error) {
    throw new InvalidTokenError('token subject is not a valid user id', { cause: error });
  }
  if (payload.topicPrefix !== `${scheme.prefix}/${sub}`) throw new InvalidTokenError('token was issued for another topic prefix');
  return { userId: sub, expiresAt: (payload.exp as number) * 1000 };
}
