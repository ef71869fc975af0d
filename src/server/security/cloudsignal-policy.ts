/**
 * The DESIGN.md access table as a CloudSignal ACL policy document (`cloudsignal://acl/v2`).
 *
 * Unlike the policy CloudSignal's own package recommends, nothing is granted globally: every
 * browser rule is bound to the connecting user's id, so no signed-in user can read another
 * user's stream. Browsers never publish retained; only service accounts (`publishers`) do.
 */
import { TopicScheme } from '../../transport/topics.js';
import { serviceRoots } from '../../broker/acl.js';

/** One rule of a CloudSignal ACL policy. */
export interface CloudSignalAclRule {
  action: 'pub' | 'sub';
  topic: string;
  /** Placeholder in `topic` replaced by the connecting identity's attribute. */
  binding?: 'user_id';
  retain?: boolean;
  qos?: number[];
}

/** A CloudSignal ACL policy document, as {@link createCloudSignalPolicy} writes it. */
export interface CloudSignalAclPolicy {
  schema: 'cloudsignal://acl/v2';
  default: 'deny';
  /** Rules for every authenticated user regardless of identity: deliberately empty. */
  global: CloudSignalAclRule[];
  /** Identity-bound rules for browsers. */
  rules: CloudSignalAclRule[];
  /** Rules for service accounts (workers). */
  publishers: CloudSignalAclRule[];
}

/** Builds the policy for a topic prefix (default `chat`). */
export function createCloudSignalPolicy(options: { topicPrefix?: string } = {}): CloudSignalAclPolicy {
  const scheme = new TopicScheme(options.topicPrefix);
  const own = `${scheme.prefix}/{user_id}/+`;
  const bound = (action: 'pub' | 'sub', channel: string): CloudSignalAclRule =>
    action === 'pub'
      ? { action, topic: `${own}/${channel}`, binding: 'user_id', retain: false, qos: [0, 1] }
      : { action, topic: `${own}/${channel}`, binding: 'user_id' };
  return {
    schema: 'cloudsignal://acl/v2',
    default: 'deny',
    global: [],
    rules: [
      bound('sub', 'stream'),
      bound('sub', 'status'),
      bound('sub', 'complete'),
      // The policy format binds user ids only, so a user's tabs may read each other's replays.
      bound('sub', 'replay/+'),
      bound('pub', 'request'),
      bound('pub', 'control'),
    ],
    publishers: serviceRoots(scheme).flatMap((root): CloudSignalAclRule[] => [
      { action: 'pub', topic: `${root}/#`, retain: true, qos: [0, 1] },
      { action: 'sub', topic: `${root}/#` },
    ]),
  };
}
