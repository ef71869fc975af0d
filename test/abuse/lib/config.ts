/** What the stage's processes share: the JWT secret and the service accounts. The worker keeps its default rate limit. */
import { randomBytes } from 'node:crypto';
import { createServiceAccount, type ServiceAccount } from '../../../src/server/credentials/service-account.js';

export interface StageConfig {
  jwtSecret: string;
  serviceAccounts: ServiceAccount[];
}

export function newStageConfig(): StageConfig {
  return {
    jwtSecret: randomBytes(32).toString('base64url'),
    serviceAccounts: [createServiceAccount('abuse-worker')],
  };
}
