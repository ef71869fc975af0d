/**
 * Failover scenarios (see lib/failover.ts) on a 3-node RabbitMQ 3.10 cluster. Three nodes, not
 * two: the MQTT plugin tracks client ids in a Raft group, which needs a majority to accept
 * connections while one node is down.
 */
import { startRabbitCluster } from '../helpers/rabbitmq-cluster.js';
import { failoverScenarios } from './lib/failover.js';

failoverScenarios('rabbitmq x3', () => startRabbitCluster({ nodes: 3, startTimeoutMs: 180_000 }), {
  outageMs: 180_000,
  testTimeoutMs: 480_000,
  killEveryMs: 5_000,
  // A node takes 10-30 s to start: turns of 3 s (30 tokens, 100 ms apart) make the 200 span several kills.
  killScenario: { tokenDelayMs: 100, minKills: 3 },
  // All four pass on a quiet machine (3 December: F2 8 exact, F3 200 turns through 5 kills, F4 8
  // exact; none run twice). CI runs this stage under the CPU hog, where these do not hold yet.
  knownFailing: {
    2: 'under the CPU hog: 4 of 8 requests sent while the workers moved off the killed node never reached a worker, nor did their re-sends or the pages\' turn lookups, and RabbitMQ closed every reconnect of a worker that kept its client id while the killed node was down',
    3: 'under the CPU hog: the 200 turns did not finish within 8 minutes (scenario 2\'s defect, seen at each kill)',
    4: 'under the CPU hog: not measured (the cluster was left broken by scenarios 2 and 3 timing out)',
  },
});
