/**
 * Server-side credential errors. Messages are safe to log; none of them is sent to the browser
 * verbatim (the endpoint answers with a generic body), so secrets in upstream replies stay here.
 */
export type CredentialErrorCode = 'issuer-failed' | 'invalid-token' | 'invalid-options';

/** A credential issuer or token check failed; branch on `code`. */
export class CredentialError extends Error {
  readonly code: CredentialErrorCode;
  constructor(code: CredentialErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CredentialError';
    this.code = code;
  }
}

/** An issuer could not produce credentials (upstream down, refused, malformed answer). */
export class IssuerError extends CredentialError {
  readonly issuer: string;
  constructor(issuer: string, message: string, options?: { cause?: unknown }) {
    super('issuer-failed', `${issuer}: ${message}`, options);
    this.name = 'IssuerError';
    this.issuer = issuer;
  }
}

/** A presented token did not verify: bad signature, expired, wrong subject or prefix. */
export class InvalidTokenError extends CredentialError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('invalid-token', message, options);
    this.name = 'InvalidTokenError';
  }
}
