/**
 * The `notifications/resources/updated` an MCP client receives, in order, for a test to await one
 * at a time: `next()` resolves with the next one not yet taken (the test's own timeout bounds it).
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ResourceUpdatedNotificationSchema, type ResourceUpdatedNotification } from '@modelcontextprotocol/sdk/types.js';

export interface ResourceUpdates {
  /** Every notification received so far. */
  readonly received: ResourceUpdatedNotification['params'][];
  next(): Promise<ResourceUpdatedNotification['params']>;
}

export function recordResourceUpdates(client: Client): ResourceUpdates {
  const received: ResourceUpdatedNotification['params'][] = [];
  let taken = 0;
  let wake: (() => void) | undefined;
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) => {
    received.push(notification.params);
    wake?.();
  });
  return {
    received,
    async next() {
      while (received.length <= taken) await new Promise<void>((resolve) => (wake = resolve));
      return received[taken++]!;
    },
  };
}

/** The update a key's sole budget (period `total`) sends: its limit, the threshold reached, its rate limit. */
export function budgetUpdate(keyName: string, limitUsd: number, crossedPercent: number, rpm: number | null = null) {
  return {
    uri: 'tollgate://budget',
    _meta: {
      'tollgate/budget': {
        budgets: [{ scope: 'key', scope_id: keyName, period: 'total', limit_usd: limitUsd, crossed_percent: crossedPercent }],
        rate_limits: { requests_per_minute: rpm, tokens_per_minute: null },
      },
    },
  };
}
