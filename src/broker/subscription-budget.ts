/**
 * Subscriptions per client. Aedes keeps every granted filter in a trie shared by all clients,
 * about 2.3 KiB each, with no limit: 20 000 from one browser cost 47 MB. Past the budget a new
 * filter gets SUBACK 0x80 and the session stays; filters the client already holds are re-granted.
 */
import type { Aedes, AedesOptions } from 'aedes';

type Client = Parameters<NonNullable<AedesOptions['authenticate']>>[0];

/** What {@link installSubscriptionBudget} reports. */
export interface SubscriptionBudget {
  /** SUBSCRIBE filters refused for the budget since start. */
  refused(): number;
  /** Removes the hook and listener. */
  dispose(): void;
}

/**
 * Wraps `aedes.authorizeSubscribe` (install it after any ACL, which it then consults first).
 * `exempt` clients (service accounts) have no budget.
 */
export function installSubscriptionBudget(aedes: Aedes, limit: number, exempt: (client: Client) => boolean, onRefused?: (client: Client, filter: string) => void): SubscriptionBudget {
  const inner = aedes.authorizeSubscribe.bind(aedes);
  // Filters granted per client, counted when granted: one SUBSCRIBE with many filters is
  // authorized filter by filter before Aedes records any of them.
  const held = new WeakMap<Client, Set<string>>();
  let refused = 0;

  aedes.authorizeSubscribe = (client, subscription, done) => {
    inner(client, subscription, (error, granted) => {
      if (error || !granted || exempt(client)) return done(error, granted);
      const filters = held.get(client) ?? new Set<string>();
      held.set(client, filters);
      if (!filters.has(granted.topic) && filters.size >= limit) {
        refused++;
        onRefused?.(client, granted.topic);
        return done(null, null);
      }
      filters.add(granted.topic);
      done(null, granted);
    });
  };
  const onUnsubscribe = (topics: string[], client: Client) => {
    const filters = held.get(client);
    for (const topic of topics) filters?.delete(topic);
  };
  aedes.on('unsubscribe', onUnsubscribe);

  return {
    refused: () => refused,
    dispose() {
      aedes.authorizeSubscribe = inner;
      aedes.removeListener('unsubscribe', onUnsubscribe);
    },
  };
}
