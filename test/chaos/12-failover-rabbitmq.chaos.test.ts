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
  knownFailing: {
    2: 'under the CPU hog CI runs the chaos stage with (every core busy), the 8 turns did not finish within 4 min; it passed on a loaded machine without the hog (8 exact, 0 run twice), not under it',
    3: 'no turn ran twice, but 1 of 200 turns lost its last 20 tokens in the browser (its stream ended after 10 tokens with no final status); after the fix for a lookup overtaking the retained complete, 2 runs of 200 were exact, but each saw only 1 node kill: not enough to call it fixed',
    4: 'not measured: a RabbitMQ node did not restart within its 90 s deadline on the loaded 2-core machine',
  },
});
