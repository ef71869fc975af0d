/**
 * THE access table of the kit: which channel a browser may read or write, and which a worker
 * publishes (retained or not). Every broker configuration is derived from it — the embedded
 * broker's ACL (`src/broker/acl.ts`), the Mosquitto ACL file and dynamic-security roles, the
 * CloudSignal policy, the EMQX JWT claim — and so are the docs table and the security tests'
 * oracle. A new channel is one row here.
 *
 * Browsers only ever act under their own user id; a row marked `perClient` is further limited to
 * the reading client's own id (the last topic level). Service accounts (workers) work everywhere
 * under {@link serviceRoots}; their column says what they do on each channel.
 */
import { TopicScheme, USER_LEVEL, type Channel, type UserChannel } from './topics.js';

/** One row of the table. */
export interface AccessRule {
  channel: Channel | UserChannel;
  /** `chat`: `{prefix}/{userId}/{chatId}/{channel}`; `user`: `{prefix}/{userId}/~/{channel}`. */
  scope: 'chat' | 'user';
  /** The topic ends with `/{clientId}` and a browser may only read its own. */
  perClient: boolean;
  /** What a browser does on it, under its own user id: read (subscribe) or write (publish). */
  browser: 'read' | 'write';
  /** What a worker does on it. */
  service: 'read' | 'write';
  /** Workers publish it retained (browsers never publish retained). */
  retained: boolean;
}

/** The table (DESIGN.md and docs/protocol-conversations.md). */
export const ACCESS_TABLE: readonly AccessRule[] = Object.freeze([
  { channel: 'request', scope: 'chat', perClient: false, browser: 'write', service: 'read', retained: false },
  { channel: 'control', scope: 'chat', perClient: false, browser: 'write', service: 'read', retained: false },
  { channel: 'stream', scope: 'chat', perClient: false, browser: 'read', service: 'write', retained: false },
  { channel: 'status', scope: 'chat', perClient: false, browser: 'read', service: 'write', retained: true },
  { channel: 'complete', scope: 'chat', perClient: false, browser: 'read', service: 'write', retained: true },
  { channel: 'replay', scope: 'chat', perClient: true, browser: 'read', service: 'write', retained: false },
  { channel: 'query', scope: 'user', perClient: false, browser: 'write', service: 'read', retained: false },
  { channel: 'answer', scope: 'user', perClient: true, browser: 'read', service: 'write', retained: false },
  { channel: 'chats', scope: 'user', perClient: false, browser: 'read', service: 'write', retained: false },
] satisfies AccessRule[]);

/** Highest QoS the design uses; browsers are held to it. */
export const BROWSER_MAX_QOS = 1;

/** The row of a channel of the given scope. */
export function accessRule(scope: AccessRule['scope'], channel: string): AccessRule | undefined {
  return ACCESS_TABLE.find((rule) => rule.scope === scope && rule.channel === channel);
}

/**
 * How a broker's rule language writes the variable levels of a topic: the user id (`%u`,
 * `{user_id}` or a literal id), any chat id (`+`) and the client id (`%c`, `${clientid}`, a
 * literal id, or `+` where the language cannot bind client ids).
 */
export interface TopicPlaceholders {
  userId: string;
  chatId: string;
  clientId: string;
}

/** The topic (or filter) of one row, written with the given placeholders. */
export function ruleTopic(scheme: TopicScheme, rule: AccessRule, placeholders: TopicPlaceholders): string {
  const levels = [scheme.prefix, placeholders.userId, rule.scope === 'chat' ? placeholders.chatId : USER_LEVEL, rule.channel];
  if (rule.perClient) levels.push(placeholders.clientId);
  return levels.join('/');
}

/** One browser permission in a broker's terms: read or write this topic pattern. */
export interface BrowserGrant {
  access: 'read' | 'write';
  topic: string;
  rule: AccessRule;
}

/**
 * Every browser permission of the table, written with the placeholders. `perClient` selects
 * the rows bound to a client id (`true`), the others (`false`), or all (omitted): dynamic
 * security keeps them in two roles, one per user and one per tab.
 */
export function browserGrants(scheme: TopicScheme, placeholders: TopicPlaceholders, perClient?: boolean): BrowserGrant[] {
  return ACCESS_TABLE.filter((rule) => perClient === undefined || rule.perClient === perClient).map((rule) => ({ access: rule.browser, topic: ruleTopic(scheme, rule, placeholders), rule }));
}

/**
 * The subtrees service accounts work in: the chat namespace, which also holds the workers'
 * coordination topics (`{prefix}/~/sys`, see {@link TopicScheme.workerPresenceTopic}).
 */
export function serviceRoots(scheme: TopicScheme): string[] {
  return [scheme.prefix];
}

/** The table as the Markdown rows of docs/security.md (a test keeps the docs equal to this). */
export function accessTableMarkdown(): string {
  const topicOf = (rule: AccessRule) => `\`${rule.scope === 'user' ? `${USER_LEVEL}/` : ''}${rule.channel}${rule.perClient ? '/{clientId}' : ''}\``;
  const browser = (rule: AccessRule) =>
    rule.browser === 'read' ? `subscribe (exact topic${rule.perClient ? ', own client id only' : ''})` : `publish, QoS ≤ ${BROWSER_MAX_QOS}, not retained`;
  const service = (rule: AccessRule) => (rule.service === 'read' ? 'subscribe' : `publish${rule.retained ? ', retained' : ''}`);
  return [
    '| Topic | Browser (own user id only) | Worker (service account) |',
    '|---|---|---|',
    ...ACCESS_TABLE.map((rule) => `| ${topicOf(rule)} | ${browser(rule)} | ${service(rule)} |`),
  ].join('\n');
}
