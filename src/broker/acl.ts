/**
 * The embedded broker's enforcement of the access table (`src/transport/access-table.ts`) as one
 * pure function. The embedded broker calls it on every SUBSCRIBE, PUBLISH and delivery; the
 * Mosquitto, CloudSignal and EMQX generators render the same table in their own formats, and
 * the security tests check all of them against real clients.
 *
 * Topics are identified through {@link TopicScheme.parse} / {@link TopicScheme.parseUser}, the
 * parsers of the builder the browser and the worker use; the table then says who may do what.
 */
import { TopicScheme } from '../transport/topics.js';
import { ACCESS_TABLE, BROWSER_MAX_QOS, accessRule, serviceRoots, type AccessRule } from '../transport/access-table.js';

export { serviceRoots, BROWSER_MAX_QOS };

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

/** Chat channels a browser may read, always under its own user id (derived from the table). */
export const BROWSER_READ_CHANNELS = ACCESS_TABLE.filter((rule) => rule.scope === 'chat' && rule.browser === 'read').map((rule) => rule.channel);
/** Chat channels a browser may write, always under its own user id, QoS ≤ 1, never retained. */
export const BROWSER_WRITE_CHANNELS = ACCESS_TABLE.filter((rule) => rule.scope === 'chat' && rule.browser === 'write').map((rule) => rule.channel);

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

/** True when the topic or filter lies under one of the roots (root levels written out literally). */
function isUnderRoot(roots: readonly string[], topicOrFilter: string): boolean {
  const levels = topicOrFilter.split('/');
  return roots.some((root) => {
    const rootLevels = root.split('/');
    return levels.length > rootLevels.length && rootLevels.every((level, i) => levels[i] === level);
  });
}

/** The table row of a topic, with whose it is and (per-client rows) which client's. */
function identify(scheme: TopicScheme, topic: string): { rule: AccessRule; userId: string; clientId?: string } | null {
  const user = scheme.parseUser(topic);
  const parsed = user ?? scheme.parse(topic);
  if (!parsed) return null;
  const rule = accessRule(user ? 'user' : 'chat', parsed.channel);
  return rule ? { rule, userId: parsed.userId, clientId: parsed.clientId } : null;
}

function authorizeBrowser(scheme: TopicScheme, principal: Extract<Principal, { kind: 'browser' }>, action: AclAction): AclDecision {
  let topic: string;
  if (action.type === 'subscribe') {
    const shared = splitSharedFilter(action.filter);
    if (!shared || shared.group !== undefined) return deny('browsers may not use shared subscriptions');
    // Wildcards would reach other users' chats or at best re-state exact topics the transport
    // already names, so the simplest safe rule is: browsers subscribe to exact topics only.
    if (hasWildcard(shared.filter)) return deny('browsers may not subscribe with wildcards');
    topic = shared.filter;
  } else topic = action.topic;
  const found = identify(scheme, topic);
  if (!found) return deny('not a chat topic');
  const { rule } = found;
  if (found.userId !== principal.userId) return deny("another user's topics");
  const wanted = action.type === 'subscribe' ? 'read' : 'write';
  if (rule.browser !== wanted) return deny(`browsers may not ${action.type === 'subscribe' ? 'read' : 'publish'} ${rule.channel}`);
  if (rule.perClient && found.clientId !== principal.clientId) return deny(`another client's ${rule.channel} topic`);
  if (action.type === 'subscribe') return { allow: true, qos: Math.min(action.qos, BROWSER_MAX_QOS) };
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
