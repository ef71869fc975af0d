/**
 * Fetching short-lived MQTT credentials from the app's auth endpoint. The endpoint is the app's
 * own route (it checks the user's session); what comes back can only connect, never mint more.
 */
import { AuthError } from './errors.js';

/** What an auth endpoint returns. `expiresAt` is ms since epoch or an ISO date. */
export interface MqttCredentials {
  username: string;
  password: string;
  userId?: string;
  clientId?: string;
  expiresAt?: number | string;
}

export interface NormalizedCredentials {
  username: string;
  password: string;
  userId?: string;
  clientId?: string;
  expiresAt: number | null;
}

export async function fetchCredentials(
  endpoint: string,
  init: { headers?: Record<string, string>; fetch?: typeof fetch; clientId?: string },
): Promise<NormalizedCredentials> {
  const doFetch = init.fetch ?? globalThis.fetch;
  // A network failure propagates as the fetch TypeError: "broker/auth unreachable", retried with backoff.
  const response = await doFetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...init.headers },
    credentials: 'same-origin',
    // The client id lets issuers keep one account per tab across refreshes (Mosquitto dynsec).
    body: JSON.stringify(init.clientId ? { clientId: init.clientId } : {}),
  });
  if (response.status === 401 || response.status === 403) {
    throw new AuthError(`The auth endpoint refused to issue MQTT credentials (HTTP ${response.status}).`, { status: response.status });
  }
  if (!response.ok) {
    throw new AuthError(`The auth endpoint failed (HTTP ${response.status}).`, { status: response.status });
  }
  const body = (await response.json().catch(() => null)) as Partial<MqttCredentials> | null;
  if (!body || typeof body.username !== 'string' || typeof body.password !== 'string') {
    throw new AuthError('The auth endpoint answered without a username and password.');
  }
  return {
    username: body.username,
    password: body.password,
    userId: typeof body.userId === 'string' ? body.userId : undefined,
    clientId: typeof body.clientId === 'string' ? body.clientId : undefined,
    expiresAt: normalizeExpiry(body.expiresAt),
  };
}

function normalizeExpiry(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value < 1e12 ? value * 1000 : value;
  if (typeof value === 'string') {
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? null : parsed;
  }
  return null;
}
