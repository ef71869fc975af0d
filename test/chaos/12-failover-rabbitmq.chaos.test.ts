/**
 * Failover scenarios (see lib/failover.ts) on a 3-node RabbitMQ 3.10 cluster. Three nodes, not
 * two: the MQTT plugin tracks client ids in a Raft group, which needs a majority to accept
 * connections while one node is down.
 */
import { startRabbitCluster } from '../helpers/rabbitmq-cluster.js';
import { failoverScenarios } from './lib/failover.js';

failoverScenarios('rabbitmq x3', () => startRabbitCluster({ nodes: 3 }), {
  outageMs: 90_000,
  killEveryMs: 5_000,
  knownFailing: {
    2: 'turns failed or ran twice when the workers node died (retained presence is node-local on RabbitMQ)',
    3: 'not measured within the scenario limit',
    4: "a worker's SUBSCRIBE failed while the restarted cluster was still forming",
  },
});
