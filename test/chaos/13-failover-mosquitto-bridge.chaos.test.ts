/** Failover scenarios (see lib/failover.ts) on two Mosquitto brokers bridged both ways for chat/#. */
import { startBridgedMosquittos } from '../helpers/mosquitto-bridge.js';
import { failoverScenarios } from './lib/failover.js';

failoverScenarios('mosquitto bridge x2', () => startBridgedMosquittos(['chat']), { outageMs: 30_000, killEveryMs: 3_000 });
