import type { PolicyEvent } from '../types.js';

// A record, not a list, so adding an event to PolicyEvent without naming it here fails to compile.
const eventTypes: Record<PolicyEvent['type'], true> = {
  'budget.threshold': true,
  'key.created': true,
  'key.updated': true,
  'key.revoked': true,
};

export const webhookEventTypes = Object.keys(eventTypes) as Array<PolicyEvent['type']>;

/**
 * A webhook's `events` entries are exact types, `*`, or a group such as `key.*`; absent means
 * every event.
 */
export function eventMatches(patterns: string[] | undefined, type: string): boolean {
  if (!patterns) return true;
  return patterns.some((pattern) => pattern === type || pattern === '*' || (pattern.endsWith('.*') && type.startsWith(pattern.slice(0, -1))));
}

/** Patterns that match no event Tollgate sends: most likely typos in the config. */
export function unknownEventPatterns(patterns: string[] | undefined): string[] {
  return (patterns ?? []).filter((pattern) => !webhookEventTypes.some((type) => eventMatches([pattern], type)));
}
