/**
 * Two transports share a socket only when they would connect as the same principal. A custom
 * `fetch` can carry another user's session (cookies, a bearer token), so it is part of the identity:
 * before this, a second user's transport on the same URL joined the first user's connection and
 * its turn hung.
 */
import { describe, expect, test } from 'vitest';
import { connectionKey } from '../../src/transport/connection-pool.js';

const base = { wssUrl: 'ws://127.0.0.1:9001/mqtt', authEndpoint: '/api/mqtt-token' };

describe('shared connection identity', () => {
  test('different fetch functions never share; the same one does', () => {
    const aliceFetch: typeof fetch = (input, init) => fetch(input, init);
    const bobFetch: typeof fetch = (input, init) => fetch(input, init);
    expect(connectionKey({ ...base, fetch: aliceFetch }, undefined)).not.toBe(connectionKey({ ...base, fetch: bobFetch }, undefined));
    expect(connectionKey({ ...base, fetch: aliceFetch }, undefined)).toBe(connectionKey({ ...base, fetch: aliceFetch }, undefined));
    expect(connectionKey(base, undefined)).toBe(connectionKey({ ...base }, undefined));
  });

  test('different session headers or user ids never share', () => {
    expect(connectionKey({ ...base, headers: { 'x-user': 'alice' } }, undefined)).not.toBe(connectionKey({ ...base, headers: { 'x-user': 'bob' } }, undefined));
    expect(connectionKey(base, 'alice')).not.toBe(connectionKey(base, 'bob'));
  });
});
