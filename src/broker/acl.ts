/**
 * The access-control table of DESIGN.md as one pure function. The embedded broker calls it on
 * every SUBSCRIBE, PUBLISH and delivery; the Mosquitto and CloudSignal generators encode the same
 * table in their own formats, and the security tests check all of them against real clients.
 *
 * Topics are only ever interpreted through {@link TopicScheme.parse}, so the ACL cannot disagree
 * with the builder the browser and the worker use.
 */
import { TopicScheme, type Channel, type UserChannel } from '../transport/topics.js';

/** Who is asking: a signed-in browser (bound to one user id) or a worker's service account. */
export type Principal =
  | { kind: 'browser'; userId: string; clientId: string }
  | { kind: 'service'; username: string };

/** What it asks to do. `filter` may hold wildcards or a `$share/{group}/` prefix. */
export type AclAction =
  | { type: 'subscribe'; filter: string; qos: number }
  | { type: 'publish'; topic: string; qos: number; retain: boolean };

/** The answer; `qos` is the highest QoS the broker may grant for an allowed subscription. */
export type AclDecision = { allow: true; qos?: number } | { allow: false; reason: string };

/** Channels a browser may read, always under its own user id (`replay` only for its client id). */
export const BROWSER_READ_CHANNELS: readonly Channel[] = ['stream', 'status', 'complete', 'replay'];
/** Channels a browser may write, always under its own user id, QoS ≤ 1, never retained. */
export const BROWSER_WRITE_CHANNELS: readonly Channel[] = ['request', 'control'];
/** User-level channels a browser may read (`answer` only for its own client id). */
export const BROWSER_READ_USER_CHANNELS: readonly UserChannel[] = ['answer', 'chats'];
/** User-level channels a browser may write. */
export const BROWSER_WRITE_USER_CHANNELS: readonly UserChannel[] = ['query'];
/** Highest QoS the design uses; browsers are held to it. */
export const BROWSER_MAX_QOS = 1;

const SHARE = '$share/';

function deny(reason: string): AclDecision {
  return { allow: false, reason };
}

/** Splits `$share/{group}/{filter}` into its parts; plain filters come back with no group. */
export function splitSharedFilter(filter: string): { group?: string; filter: string } | null {
  if (!filter.startsWith(SHARE)) return { filter };
  const rest = filter.slice(SHARE.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return null;
  const group = rest.slice(0, slash);
  // A group name with wildcards is a protocol error, not something to interpret.
  if (/[+#]/.test(group)) return null;
  return { group, filter: rest.slice(slash + 1) };
}

function hasWildcard(filter: string): boolean {
  return filter.includes('+') || filter.includes('#');
}

/**
 * The subtrees service accounts work in: the chat namespace and the workers' coordination
 * namespace beside it (`{prefix}-sys`, see {@link TopicScheme.workerPresenceTopic}).
 */
export function serviceRoots(scheme: TopicScheme): string[] {
  return [scheme.prefix, `${scheme.prefix}-sys`];
}

/** True when the topic or filter lies under one of the roots (root levels written out literally). */
function isUnderRoot(roots: readonly string[], topicOrFilter: string): boolean {
  const levels = topicOrFilter.split('/');
  return roots.some((root) => {
    const rootLevels = root.split('/');
    return levels.length > rootLevels.length && rootLevels.every((level, i) => levels[i] === level);
  });
}

function authorizeBrowser(scheme: TopicScheme, principal: Extract<Principal, { kind: 'browser' }>, action: AclAction): AclDecision {
  if (action.type === 'subscribe') {
    const shared = splitSharedFilter(action.filter);
    if (!shared || shared.group !== undefined) return deny('browsers may not use shared subscriptions');
    // Wildcards would reach other users' chats or at best re-state exact topics the transport
    // already names, so the simplest safe rule is: browsers subscribe to exact topics only.
    if (hasWildcard(shared.filter)) return deny('browsers may not subscribe with wildcards');
    const user = scheme.parseUser(shared.filter);
    if (user) {
      if (user.userId !== principal.userId) return deny("another user's topics");
      if (!BROWSER_READ_USER_CHANNELS.includes(user.channel)) return deny(`browsers may not read ${user.channel}`);
      if (user.channel === 'answer' && user.clientId !== principal.clientId) return deny("another client's answers");
      return { allow: true, qos: Math.min(action.qos, BROWSER_MAX_QOS) };
    }
    const parsed = scheme.parse(shared.filter);
    if (!parsed) return deny('not a chat topic');
    if (parsed.userId !== principal.userId) return deny("another user's chat");
    if (!BROWSER_READ_CHANNELS.includes(parsed.channel)) return deny(`browsers may not read ${parsed.channel}`);
    if (parsed.channel === 'replay' && parsed.clientId !== principal.clientId) return deny("another client's replay topic");
    return { allow: true, qos: Math.min(action.qos, BROWSER_MAX_QOS) };
  }
  const user = scheme.parseUser(action.topic);
  const parsed = user ? null : scheme.parse(action.topic);
  if (user) {
    if (user.userId !== principal.userId) return deny("another user's topics");
    if (!BROWSER_WRITE_USER_CHANNELS.includes(user.channel)) return deny(`browsers may not publish ${user.channel}`);
  } else if (!parsed) return deny('not a chat topic');
  else if (parsed.userId !== principal.userId) return deny("another user's chat");
  else if (!BROWSER_WRITE_CHANNELS.includes(parsed.channel)) return deny(`browsers may not publish ${parsed.channel}`);
  if (action.retain) return deny('browsers may not publish retained messages');
  if (action.qos > BROWSER_MAX_QOS) return deny(`browsers may not publish with QoS ${action.qos}`);
  return { allow: true };
}

function authorizeService(scheme: TopicScheme, action: AclAction): AclDecision {
  if (action.type === 'subscribe') {
    const shared = splitSharedFilter(action.filter);
    if (!shared) return deny('malformed shared subscription');
    // Workers need wildcards (every user's requests) but nothing outside the kit's namespaces.
    if (!isUnderRoot(serviceRoots(scheme), shared.filter)) return deny('outside the chat prefix');
    return { allow: true, qos: action.qos };
  }
  if (!isUnderRoot(serviceRoots(scheme), action.topic)) return deny('outside the chat prefix');
  return { allow: true };
}

/**
 * Decides one action of one principal. Pure and synchronous: the same inputs always give the
 * same answer, which is what lets the tests state the table as a matrix.
 */
export function authorize(scheme: TopicScheme, principal: Principal, action: AclAction): AclDecision {
  return principal.kind === 'browser' ? authorizeBrowser(scheme, principal, action) : authorizeService(scheme, action);
}

/** Whether a message on `topic` may be delivered to the principal (defence in depth on delivery). */
export function mayReceive(scheme: TopicScheme, principal: Principal, topic: string): boolean {
  return authorize(scheme, principal, { type: 'subscribe', filter: topic, qos: 0 }).allow;
}
