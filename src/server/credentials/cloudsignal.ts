/**
 * CloudSignal issuer: exchanges the organisation's secret key for temporary MQTT credentials at
 * the token service (`POST {tokenServiceUrl}/v1/create`). The secret key stays on the server;
 * the browser receives only the temporary username and password.
 */
import { IssuerError } from './errors.js';
import type { CredentialIssuer, IssueRequest, IssuedCredentials } from './types.js';

/** CloudSignal's stated lifetime of token-service credentials when the answer does not say. */
export const CLOUDSIGNAL_DEFAULT_TTL_SECONDS = 60 * 60;

/** Options of {@link createCloudSignalIssuer}: the token service and the organisation's keys. */
export interface CloudSignalIssuerOptions {
  /** Base URL of the token service, e.g. `https://auth.cloudsignal.app`. */
  tokenServiceUrl: string;
  organizationId: string;
  /** The organisation's secret key (`sk_...`). Server-side only. */
  secretKey: string;
  /**
   * The e-mail the token service files the user under. Default `{userId}@{emailDomain}`: one
   * stable identity per app user, so the policy's `{user_id}` binding names the same person.
   */
  userEmail?: (userId: string) => string;
  /** Domain of the default {@link userEmail} (default `users.invalid`, a reserved TLD). */
  emailDomain?: string;
  /** Lifetime to assume when the answer carries no expiry (default 3600 s). */
  assumedTtlSeconds?: number;
  /** Abort the call after this many ms (default 5000). */
  timeoutMs?: number;
  /** Injected `fetch`, for tests or instrumentation. */
  fetch?: typeof fetch;
  now?: () => number;
}

/** The fields of the token service's answer the issuer reads. */
interface TokenServiceAnswer {
  mqtt_username?: unknown;
  token_password?: unknown;
  expires_at?: unknown;
  expires_in?: unknown;
}

function expiryOf(answer: TokenServiceAnswer, now: number, assumedTtlSeconds: number): number {
  if (typeof answer.expires_in === 'number' && answer.expires_in > 0) return now + answer.expires_in * 1000;
  if (typeof answer.expires_at === 'number') return answer.expires_at < 1e12 ? answer.expires_at * 1000 : answer.expires_at;
  if (typeof answer.expires_at === 'string') {
    const parsed = Date.parse(answer.expires_at);
    if (!Number.isNaN(parsed)) return parsed;
  }
  return now + assumedTtlSeconds * 1000;
}

/** Creates the CloudSignal issuer. */
export function createCloudSignalIssuer(options: CloudSignalIssuerOptions): CredentialIssuer {
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const domain = options.emailDomain ?? 'users.invalid';
  const userEmail = options.userEmail ?? ((userId: string) => `${userId}@${domain}`);
  const endpoint = new URL('/v1/create', options.tokenServiceUrl).toString();

  return {
    name: 'cloudsignal',
    async issue(request: IssueRequest): Promise<IssuedCredentials> {
      let response: Response;
      try {
        response = await doFetch(endpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            organization_id: options.organizationId,
            secret_key: options.secretKey,
            user_email: userEmail(request.userId),
          }),
          signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
        });
      } catch (error) {
        throw new IssuerError('cloudsignal', 'token service unreachable', { cause: error });
      }
      if (!response.ok) {
        // The body may echo request fields; it is not included in the error.
        throw new IssuerError('cloudsignal', `token service answered ${response.status}`);
      }
      let answer: TokenServiceAnswer;
      try {
        answer = (await response.json()) as TokenServiceAnswer;
      } catch (error) {
        throw new IssuerError('cloudsignal', 'token service answer is not JSON', { cause: error });
      }
      if (typeof answer?.mqtt_username !== 'string' || typeof answer.token_password !== 'string' || !answer.mqtt_username || !answer.token_password) {
        throw new IssuerError('cloudsignal', 'token service answer lacks mqtt_username / token_password');
      }
      const issuedAt = now();
      const expiresAt = expiryOf(answer, issuedAt, Math.min(request.ttlSeconds, options.assumedTtlSeconds ?? CLOUDSIGNAL_DEFAULT_TTL_SECONDS));
      if (!(expiresAt > issuedAt)) throw new IssuerError('cloudsignal', 'token service issued already-expired credentials');
      return { username: answer.mqtt_username, password: answer.token_password, expiresAt };
    },
  };
}
