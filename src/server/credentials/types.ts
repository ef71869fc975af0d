/**
 * The contract between the credentials endpoint and the issuers behind it. An issuer turns an
 * already-authenticated user id into short-lived broker credentials; it never sees the request
 * body, and what it returns is everything the browser will learn.
 */

/** What the browser receives. Nothing in it can mint further credentials. */
export interface IssuedCredentials {
  /** MQTT username to connect with. */
  username: string;
  /** MQTT password (a signed token, a rotated random secret, or a token-service password). */
  password: string;
  /** MQTT client id the broker binds these credentials to, when the issuer binds one. */
  clientId?: string;
  /** When the credentials stop working, in milliseconds since the epoch. */
  expiresAt: number;
}

/** The request an issuer serves: whose credentials, and for how long. */
export interface IssueRequest {
  /** The signed-in user, as returned by the app's `authenticate`. A valid topic segment. */
  userId: string;
  /** Requested lifetime in seconds; issuers may cap it. */
  ttlSeconds: number;
  /**
   * The MQTT client id the browser tab connects with, when it sent one (already checked: a
   * topic segment outside the service namespace). Issuers that bind credentials to a client id
   * use it to keep one tab's rotation from disconnecting the user's other tabs.
   */
  clientId?: string;
}

/** A source of broker credentials (signed tokens, Mosquitto accounts, CloudSignal tokens...). */
export interface CredentialIssuer {
  /** Short name used in logs and errors, e.g. `jwt`, `mosquitto-dynsec`, `cloudsignal`. */
  readonly name: string;
  issue(request: IssueRequest): Promise<IssuedCredentials>;
}

/** The JSON body of a successful credentials response. */
export interface CredentialsResponseBody extends IssuedCredentials {
  userId: string;
}
