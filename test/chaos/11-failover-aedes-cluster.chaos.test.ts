/** Failover scenarios (see lib/failover.ts) on the embedded broker as a 2-node cluster over Redis. */
import { startAedesCluster } from '../helpers/aedes-cluster.js';
import { failoverScenarios } from './lib/failover.js';

failoverScenarios('aedes-redis x2', () => startAedesCluster({ nodes: 2 }), {
  outageMs: 30_000,
  killEveryMs: 3_000,
});
