/** Credentials: the auth endpoint, its issuers, and worker service accounts. */
export { createCredentialsHandler, type CredentialsHandlerOptions } from './handler.js';
export { createJwtIssuer, verifyChatToken, emqxAclFor, DEFAULT_TOKEN_TTL_SECONDS, MAX_TOKEN_TTL_SECONDS, type JwtIssuerOptions, type ChatTokenClaims, type EmqxAclRule, type VerifiedChatToken, type VerifyChatTokenOptions, type VerificationKey, type SigningKey } from './jwt.js';
export { createMosquittoDynsecIssuer, dynsecAccountName, DEFAULT_MAX_DYNSEC_ACCOUNTS_PER_USER, type MosquittoDynsecIssuer, type MosquittoDynsecIssuerOptions } from './mosquitto-dynsec.js';
export { createDynsecControl, type DynsecControl, type DynsecResponse } from './dynsec-control.js';
export { createCloudSignalIssuer, CLOUDSIGNAL_DEFAULT_TTL_SECONDS, type CloudSignalIssuerOptions } from './cloudsignal.js';
export { createServiceAccount, assertServiceAccount, isServiceUsername, isServiceClientId, SERVICE_USERNAME_PREFIX, SERVICE_CLIENT_ID_PREFIX, type ServiceAccount } from './service-account.js';
export { CredentialError, IssuerError, InvalidTokenError, type CredentialErrorCode } from './errors.js';
export type { CredentialIssuer, IssuedCredentials, IssueRequest, CredentialsResponseBody } from './types.js';
