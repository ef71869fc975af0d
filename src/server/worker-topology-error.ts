/**
 * The error a worker reports (through `onError`) when the brokers between its group's members carry
 * requests but not coordination: a member is heard in the chat tree (`{prefix}/#`) but none of its
 * presence records reaches this worker through `{prefix}-sys/#`. Every request would then reach
 * workers that cannot agree on one owner and would run twice (two bridged brokers whose bridge
 * carries only the chat tree). The worker refuses requests until the records arrive.
 */
import { ChatKitError } from '../transport/errors.js';

/**
 * Reported to a worker's `onError` when members of its group are heard through the chat tree but
 * not through the coordination tree: the brokers between them carry requests but not presence.
 * `unreachable` names them; the worker refuses requests until their presence records arrive.
 */
export class WorkerTopologyError extends ChatKitError {
  /** The members heard only through the chat tree. */
  readonly unreachable: readonly string[];

  constructor(workerId: string, unreachable: readonly string[], topicPrefix: string) {
    super(
      'worker-topology',
      `Worker ${workerId} hears worker(s) ${unreachable.join(', ')} through ${topicPrefix}/# but not through ${topicPrefix}-sys/#: ` +
        `every broker that carries ${topicPrefix}/# must carry ${topicPrefix}-sys/# too (a bridge needs both trees). ` +
        'Requests are refused until it does, so that no turn runs twice.',
    );
    this.name = 'WorkerTopologyError';
    this.unreachable = unreachable;
  }
}

/** What a browser is told when its request is refused for {@link WorkerTopologyError}; details stay in the server's logs. */
export const TOPOLOGY_REFUSAL_TEXT = 'The chat service is misconfigured and cannot answer right now. Nothing was run; please try again later.';
