/**
 * One access table, every broker configuration derived from it. Each generator's output is read
 * back with a small MQTT filter matcher and must grant exactly what the embedded broker's
 * `authorize()` grants, topic by topic, for every row of the table; the docs table is the
 * table's own rendering; and the topic builder names exactly the topics the table describes.
 * A channel added to the table without its generators, docs or builder fails here.
 */
import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { ACCESS_TABLE, accessTableMarkdown, ruleTopic } from '../../src/transport/access-table.js';
import { TopicScheme, type Channel } from '../../src/transport/topics.js';
import { authorize, type Principal } from '../../src/broker/acl.js';
import { createMosquittoAclFile, dynsecTabRoleCommands, dynsecUserRoleCommands } from '../../src/server/security/mosquitto-config.js';
import { createCloudSignalPolicy } from '../../src/server/security/cloudsignal-policy.js';
import { emqxAclFor } from '../../src/server/credentials/jwt.js';

const scheme = new TopicScheme();
const TAB = 'alice_tab1tab1';
const OTHER_TAB = 'alice_tab2tab2';
const alice: Principal = { kind: 'browser', userId: 'alice', clientId: TAB };

/** MQTT filter matching (`+` one level, `#` the rest). */
function matches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}

/** Every row's topic for alice and bob, own and other tab, plus some that are in no row. */
function sampleTopics(): Array<{ topic: string; otherTab: boolean }> {
  const topics: Array<{ topic: string; otherTab: boolean }> = [];
  for (const userId of ['alice', 'bob']) {
    for (const rule of ACCESS_TABLE) {
      for (const clientId of rule.perClient ? [TAB, OTHER_TAB] : [TAB]) {
        topics.push({ topic: ruleTopic(scheme, rule, { userId, chatId: 'c1', clientId }), otherTab: clientId === OTHER_TAB });
      }
    }
  }
  for (const topic of ['chat/alice/c1', 'chat/alice/~/answer', 'chat/~/sys/workers/g/svc-w', 'chat/~/sys/inbox/g/svc-w/alice/c1', 'chat/alice/c1/stream/x', 'other/alice/c1/stream']) topics.push({ topic, otherTab: false });
  return topics;
}

type Access = 'read' | 'write';
const oracle = (topic: string, access: Access) =>
  authorize(scheme, alice, access === 'read' ? { type: 'subscribe', filter: topic, qos: 1 } : { type: 'publish', topic, qos: 1, retain: false }).allow;

/** Checks a generator (as a list of granted filters per access) against `authorize`. */
function expectAgreement(grants: Record<Access, string[]>, options: { perClientBound: boolean }): number {
  let checked = 0;
  for (const { topic, otherTab } of sampleTopics()) {
    for (const access of ['read', 'write'] as const) {
      const granted = grants[access].some((filter) => matches(filter, topic));
      // A format that cannot bind client ids grants the user's other tabs' per-client topics too.
      const expected = oracle(topic, access) || (!options.perClientBound && otherTab && oracle(topic.replace(OTHER_TAB, TAB), access));
      expect({ topic, access, granted }).toEqual({ topic, access, granted: expected });
      checked++;
    }
  }
  return checked;
}

describe('every generated configuration grants exactly what authorize() grants', () => {
  test('sanity: the oracle allows every row for its own user and refuses it for another', () => {
    for (const rule of ACCESS_TABLE) {
      expect(oracle(ruleTopic(scheme, rule, { userId: 'alice', chatId: 'c1', clientId: TAB }), rule.browser)).toBe(true);
      expect(oracle(ruleTopic(scheme, rule, { userId: 'bob', chatId: 'c1', clientId: TAB }), rule.browser)).toBe(false);
    }
  });

  test('Mosquitto ACL file (%u, %c)', () => {
    const lines = createMosquittoAclFile({ serviceUsernames: [] })
      .split('\n')
      .filter((line) => line.startsWith('pattern '))
      .map((line) => line.split(' '));
    const grants = { read: [] as string[], write: [] as string[] };
    for (const [, access, pattern] of lines) grants[access as Access].push(pattern.replaceAll('%u', 'alice').replaceAll('%c', TAB));
    expect(expectAgreement(grants, { perClientBound: true })).toBeGreaterThan(0);
  });

  test('Mosquitto dynamic security: the user role plus the tab role', () => {
    const acls = [...dynsecUserRoleCommands(scheme, 'alice'), ...dynsecTabRoleCommands(scheme, 'alice', TAB)].filter((command) => command.command === 'addRoleACL') as unknown as Array<{ acltype: string; topic: string }>;
    const of = (type: string) => acls.filter((acl) => acl.acltype === type).map((acl) => acl.topic);
    // Reading needs both the subscription and the delivery.
    expect(of('publishClientReceive').sort()).toEqual(of('subscribePattern').sort());
    expectAgreement({ read: of('subscribePattern'), write: of('publishClientSend') }, { perClientBound: true });
  });

  test('EMQX JWT acl claim (${clientid}), first match wins, ends in deny all', () => {
    const rules = emqxAclFor(scheme, 'alice');
    expect(rules.at(-1)).toEqual({ permission: 'deny', action: 'all', topic: '#' });
    const allows = rules.filter((rule) => rule.permission === 'allow');
    const topics = (action: string) => allows.filter((rule) => rule.action === action).map((rule) => rule.topic.replaceAll('${clientid}', TAB));
    expect(allows.filter((rule) => rule.action === 'publish').every((rule) => rule.retain === false)).toBe(true);
    expectAgreement({ read: topics('subscribe'), write: topics('publish') }, { perClientBound: true });
  });

  test('CloudSignal policy ({user_id}; client ids cannot be bound)', () => {
    const { rules } = createCloudSignalPolicy();
    const topics = (action: string) => rules.filter((rule) => rule.action === action).map((rule) => rule.topic.replaceAll('{user_id}', 'alice'));
    expectAgreement({ read: topics('sub'), write: topics('pub') }, { perClientBound: false });
  });
});

describe('the table, the topic builder and the docs agree', () => {
  test('every row is a topic the builder makes; every readable row is one the browser subscribes to', () => {
    const chatSubscriptions = scheme.clientSubscriptions({ userId: 'alice', chatId: 'c1' }, TAB);
    const userSubscriptions = scheme.userSubscriptions('alice', TAB);
    for (const rule of ACCESS_TABLE) {
      const topic = ruleTopic(scheme, rule, { userId: 'alice', chatId: 'c1', clientId: TAB });
      const built =
        rule.scope === 'chat'
          ? rule.channel === 'replay'
            ? scheme.topic({ userId: 'alice', chatId: 'c1' }, 'replay', TAB)
            : scheme.topic({ userId: 'alice', chatId: 'c1' }, rule.channel as Exclude<Channel, 'replay'>)
          : rule.channel === 'answer'
            ? scheme.userTopic('alice', 'answer', TAB)
            : scheme.userTopic('alice', rule.channel as 'query' | 'chats');
      expect(topic).toBe(built);
      if (rule.browser === 'read') expect([...chatSubscriptions, ...userSubscriptions]).toContain(topic);
    }
    // And nothing the browser subscribes to is outside the table.
    for (const topic of [...chatSubscriptions, ...userSubscriptions]) expect(oracle(topic, 'read')).toBe(true);
  });

  test('docs/security.md shows the table as generated', () => {
    const docs = readFileSync(new URL('../../docs/security.md', import.meta.url), 'utf8');
    expect(docs).toContain(accessTableMarkdown());
  });
});
