/**
 * The generated broker configurations: Mosquitto's config really binds 127.0.0.1 only (checked
 * against the kernel's socket table), the plain ACL-file variant filters what it delivers, and
 * the CloudSignal policy has no global rule and binds every browser rule to the user id.
 */
import { ACCESS_TABLE } from '../../src/transport/access-table.js';
import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import mqtt from 'mqtt';
import { createMosquittoConf, createMosquittoAclFile } from '../../src/server/security/mosquitto-config.js';
import { createCloudSignalPolicy } from '../../src/server/security/cloudsignal-policy.js';
import { startMosquitto } from '../helpers/mosquitto.js';
import { sleep } from './acl-targets.js';

/** Local addresses of listening TCP sockets on a port, from /proc (IPv4 and IPv6). */
function listeners(port: number): string[] {
  const found: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.trim().split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      const [hexAddress, hexPort] = local.split(':');
      if (state !== '0A' || parseInt(hexPort, 16) !== port) continue;
      found.push(hexAddress.length === 8 ? hexAddress.match(/../g)!.reverse().map((byte) => parseInt(byte, 16)).join('.') : `ipv6:${hexAddress}`);
    }
  }
  return found;
}

describe('Mosquitto configuration', () => {
  test('every listener: 127.0.0.1, socket_domain ipv4, max_qos; globally: nodelay, packet limit, no anonymous', () => {
    const conf = createMosquittoConf({ port: 1, wsPort: 2, auth: { kind: 'dynsec', configFile: '/x/dynsec.json' }, maxPacketSize: 4096 });
    const lines = conf.trim().split('\n');
    expect(lines).toContain('set_tcp_nodelay true');
    expect(lines).toContain('max_packet_size 4096');
    expect(lines).toContain('allow_anonymous false');
    expect(lines).toContain('plugin_opt_config_file /x/dynsec.json');
    for (const listener of ['listener 1 127.0.0.1', 'listener 2 127.0.0.1']) {
      const at = lines.indexOf(listener);
      expect(at).toBeGreaterThan(-1);
      expect(lines.slice(at + 1, at + 4).sort()).toEqual(['max_qos 1', 'protocol ' + (listener.startsWith('listener 1') ? 'mqtt' : 'websockets'), 'socket_domain ipv4'].sort());
    }
  });

  test('a running Mosquitto with the generated config listens on 127.0.0.1 only (WebSocket listener included)', async () => {
    const broker = await startMosquitto({ auth: 'dynsec' });
    try {
      expect(listeners(broker.port)).toEqual(['127.0.0.1']);
      expect(listeners(broker.wsPort!)).toEqual(['127.0.0.1']);
    } finally {
      await broker.stop();
    }
  });

  test('ACL-file variant: %u/%c patterns; forbidden subscriptions are granted but nothing is delivered (measured, not SUBACK)', async () => {
    const acl = createMosquittoAclFile({ serviceUsernames: ['svc@worker'] });
    expect(acl).toContain('pattern read chat/%u/+/replay/%c');
    expect(acl).toContain('pattern write chat/%u/+/request');
    const broker = await startMosquitto({ auth: { passwords: { alice: 'alice-password-123', 'svc@worker': 'worker-password-1234567890' }, acl } });
    try {
      const alice = await mqtt.connectAsync(broker.wsUrl, { username: 'alice', password: 'alice-password-123', clientId: 'csk_a', reconnectPeriod: 0 });
      const workerClient = await mqtt.connectAsync(broker.mqttUrl, { username: 'svc@worker', password: 'worker-password-1234567890', clientId: 'svc-worker', reconnectPeriod: 0 });
      const received: string[] = [];
      alice.on('message', (topic) => received.push(topic));
      await alice.subscribeAsync(['chat/alice/c1/stream', 'chat/alice/c1/replay/csk_a', 'chat/bob/c1/stream', 'chat/#'], { qos: 1 });
      for (const topic of ['chat/alice/c1/stream', 'chat/alice/c1/replay/csk_a', 'chat/alice/c1/replay/csk_b', 'chat/bob/c1/stream']) await workerClient.publishAsync(topic, 'x', { qos: 1 });
      await sleep(300);
      expect([...new Set(received)].sort()).toEqual(['chat/alice/c1/replay/csk_a', 'chat/alice/c1/stream']);
      await alice.endAsync(true);
      await workerClient.endAsync(true);
    } finally {
      await broker.stop();
    }
  });
});

describe('CloudSignal policy', () => {
  const policy = createCloudSignalPolicy();

  test('default deny, no global rule, every browser rule bound to the user id', () => {
    expect(policy.schema).toBe('cloudsignal://acl/v2');
    expect(policy.default).toBe('deny');
    expect(policy.global).toEqual([]);
    for (const rule of policy.rules) {
      expect(rule.binding).toBe('user_id');
      expect(rule.topic.split('/')[1]).toBe('{user_id}');
      if (rule.action === 'pub') expect(rule.retain).toBe(false);
    }
    // Exactly the table's browser rows, in its direction (the rule-by-rule agreement is in access-table.test.ts).
    expect(policy.rules.map((rule) => `${rule.action} ${rule.topic.split('/').slice(2).join('/')}`)).toEqual(
      ACCESS_TABLE.map((row) => `${row.browser === 'write' ? 'pub' : 'sub'} ${row.scope === 'chat' ? '+' : '~'}/${row.channel}${row.perClient ? '/+' : ''}`),
    );
  });

  test('only service accounts publish retained, within the kit namespaces', () => {
    const retained = policy.publishers.filter((rule) => rule.retain);
    expect(retained.map((rule) => rule.topic).sort()).toEqual(['chat/#']);
    expect(createCloudSignalPolicy({ topicPrefix: 'acme' }).rules.every((rule) => rule.topic.startsWith('acme/{user_id}/'))).toBe(true);
  });
});
