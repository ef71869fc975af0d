/** What the stage's processes share: the JWT secret, the service accounts and the worker's rate limit. */
import { randomBytes } from 'node:crypto';
import { createServiceAccount, type ServiceAccount } from '../../../src/server/credentials/service-account.js';

export interface StageConfig {
  jwtSecret: string;
  serviceAccounts: ServiceAccount[];
  rateLimit: { turns: number; perMs: number };
}

export function newStageConfig(): StageConfig {
  return {
    jwtSecret: randomBytes(32).toString('base64url'),
    serviceAccounts: [createServiceAccount('abuse-worker')],
    // The victim runs ~150 turns in 3 minutes, more than the default 30 a minute allows; the
    // attacker gets the same allowance (a burst of 200, then 3.3 turns a second).
    rateLimit: { turns: 200, perMs: 60_000 },
  };
}
