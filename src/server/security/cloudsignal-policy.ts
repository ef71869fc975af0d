/**
 * The DESIGN.md access table as a CloudSignal ACL policy document (`cloudsignal://acl/v2`).
 *
 * Unlike the policy CloudSignal's own package recommends, nothing is granted globally: every
 * browser rule is bound to the connecting user's id, so no signed-in user can read another
 * user's stream. Browsers never publish retained; only service accounts (`publishers`) do.
 */
import { TopicScheme } from '../../transport/topics.js';
import { browserGrants, serviceRoots } from '../../transport/access-table.js';

/** One rule of a CloudSignal ACL policy. */
export interface CloudSignalAclRule {
  action: 'pub' | 'sub';
  topic: string;
  /** Placeholder in `topic` replaced by the connecting identity's attribute. */
  binding?: 'user_id';
  retain?: boolean;
  qos?: number[];
}

/** A CloudSignal ACL policy document. */
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

/** Builds the policy for a topic prefix (default `chat`) from the access table. */
export function createCloudSignalPolicy(options: { topicPrefix?: string } = {}): CloudSignalAclPolicy {
  const scheme = new TopicScheme(options.topicPrefix);
  return {
    schema: 'cloudsignal://acl/v2',
    default: 'deny',
    global: [],
    // The policy format binds user ids only, so a user's tabs may read each other's per-client
    // topics (`replay/+`, `~/answer/+`).
    rules: browserGrants(scheme, { userId: '{user_id}', chatId: '+', clientId: '+' }).map((grant): CloudSignalAclRule =>
      grant.access === 'write' ? { action: 'pub', topic: grant.topic, binding: 'user_id', retain: false, qos: [0, 1] } : { action: 'sub', topic: grant.topic, binding: 'user_id' },
    ),
    publishers: serviceRoots(scheme).flatMap((root): CloudSignalAclRule[] => [
      { action: 'pub', topic: `${root}/#`, retain: true, qos: [0, 1] },
      { action: 'sub', topic: `${root}/#` },
    ]),
  };
}
