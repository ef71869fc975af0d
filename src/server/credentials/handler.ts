/**
 * The credentials endpoint as a web-standard handler `(Request) => Promise<Response>`, usable
 * from Next.js route handlers, Hono, Remix, Bun or `node:http` through a small adapter.
 *
 * It asks the app who the caller is (its own session check), then asks an issuer for broker
 * credentials bound to that user id. The browser learns only those credentials; issuer secrets
 * and upstream error details never appear in a response.
 */
import { isValidSegment } from '../../transport/topics.js';
import { CredentialError } from './errors.js';
import { isServiceClientId } from './service-account.js';
import { DEFAULT_TOKEN_TTL_SECONDS } from './jwt.js';
import type { CredentialIssuer, CredentialsResponseBody } from './types.js';

/** Options of {@link createCredentialsHandler}: your session check and where credentials come from. */
export interface CredentialsHandlerOptions {
  /**
   * The app's session check. Returns the signed-in user's id, or null/undefined when there is
   * no session (answered with 401). The id must be a valid topic segment (`[A-Za-z0-9_-]{1,64}`).
   */
  authenticate: (request: Request) => string | null | undefined | Promise<string | null | undefined>;
  /** Where credentials come from: {@link createJwtIssuer}, {@link createMosquittoDynsecIssuer}, {@link createCloudSignalIssuer}. */
  issuer: CredentialIssuer;
  /** Requested credential lifetime in seconds (default 900). The transport refreshes before it ends. */
  ttlSeconds?: number;
  /** Called with server-side failures (issuer down, session check threw) for logging. */
  onError?: (error: unknown) => void;
}

/** Bodies larger than this are not read: the endpoint expects at most `{ "clientId": "..." }`. */
const MAX_BODY_BYTES = 1024;

/**
 * The optional client id a tab sends in the body. Anything that is not a plain segment outside
 * the service namespace is ignored rather than refused: the body is a hint, never identity.
 */
async function requestedClientId(request: Request): Promise<string | undefined> {
  const length = Number(request.headers.get('content-length') ?? '0');
  if (length > MAX_BODY_BYTES) return undefined;
  let text: string;
  try {
    text = await request.text();
  } catch {
    return undefined;
  }
  if (!text || text.length > MAX_BODY_BYTES) return undefined;
  try {
    const body = JSON.parse(text) as { clientId?: unknown };
    const clientId = body?.clientId;
    return isValidSegment(clientId) && !isServiceClientId(clientId) ? clientId : undefined;
  } catch {
    return undefined;
  }
}

const JSON_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  // Credentials must never be cached by the browser, a proxy or a CDN.
  'cache-control': 'no-store',
  pragma: 'no-cache',
};

function json(status: number, body: unknown, extra: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { ...JSON_HEADERS, ...extra } });
}

/**
 * Creates the credentials endpoint.
 *
 * The body may carry `{ clientId }`, the MQTT client id of the asking tab (a hint for issuers
 * that bind credentials to client ids; the user id always comes from `authenticate`).
 *
 * Answers: 200 `{ username, password, userId, clientId?, expiresAt }`; 401 without a session;
 * 403 when the session's user id cannot be used in topics; 405 for other methods than POST;
 * 502 when the issuer failed. No CORS headers are added: only same-origin pages may read it.
 */
export function createCredentialsHandler(options: CredentialsHandlerOptions): (request: Request) => Promise<Response> {
  const ttlSeconds = options.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS;
  if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) throw new CredentialError('invalid-options', 'ttlSeconds must be a positive number');
  const report = options.onError ?? (() => {});

  return async (request: Request): Promise<Response> => {
    // POST only: a GET could be triggered by an <img> tag and cached along the way.
    if (request.method !== 'POST') return json(405, { error: 'method-not-allowed' }, { allow: 'POST' });

    let userId: string | null | undefined;
    try {
      userId = await options.authenticate(request);
    } catch (error) {
      report(error);
      return json(401, { error: 'unauthenticated' });
    }
    if (userId === null || userId === undefined) return json(401, { error: 'unauthenticated' });
    if (!isValidSegment(userId)) {
      report(new CredentialError('invalid-options', 'authenticate returned a user id that is not a valid topic segment'));
      return json(403, { error: 'forbidden' });
    }

    const clientId = await requestedClientId(request);
    try {
      const issued = await options.issuer.issue(clientId === undefined ? { userId, ttlSeconds } : { userId, ttlSeconds, clientId });
      const body: CredentialsResponseBody = {
        username: issued.username,
        password: issued.password,
        userId,
        expiresAt: issued.expiresAt,
      };
      if (issued.clientId !== undefined) body.clientId = issued.clientId;
      return json(200, body);
    } catch (error) {
      report(error);
      return json(502, { error: 'credentials-unavailable' });
    }
  };
}
