/**
 * What every multi-node broker harness (Aedes + Redis, RabbitMQ, bridged Mosquitto) offers the
 * cluster tests, the chaos failover scenarios and the capacity benchmark: nodes that can be
 * crashed and started again on the same ports.
 */
export type ClusterKind = 'aedes-redis' | 'rabbitmq' | 'mosquitto-bridge';

export interface TestClusterNode {
  readonly name: string;
  /** `mqtt://127.0.0.1:port` */
  readonly mqttUrl: string;
  /** MQTT over WebSocket, what a browser uses. */
  readonly wsUrl: string;
  /** OS process id of the running node (changes on restart; -1 while down). */
  readonly pid: number;
  readonly alive: boolean;
  /** SIGKILL: a crash, no goodbye to any client. Resolves once the process is gone. */
  kill(): Promise<void>;
  /** Starts the node again with the same name, ports and cluster membership. */
  start(): Promise<void>;
}

export interface TestCluster {
  readonly kind: ClusterKind;
  readonly nodes: readonly TestClusterNode[];
  /** Stops every node and its shared state (Redis, temp dirs). Idempotent. */
  stop(): Promise<void>;
}
