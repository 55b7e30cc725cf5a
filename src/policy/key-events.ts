import type { EventSink, PolicyEvent } from './types.js';
import type { KeyRecord, KeyStore } from '../store/types.js';

/** A key store that announces every change (`key.created`, `key.updated`, `key.revoked`). */
export function withKeyEvents(keys: KeyStore, events: EventSink): KeyStore {
  const emit = (type: Extract<PolicyEvent['type'], `key.${string}`>, record: KeyRecord): KeyRecord => {
    events.emit({ type, data: { id: record.id, name: record.name, prefix: record.prefix } });
    return record;
  };
  return {
    create: async (input) => {
      const created = await keys.create(input);
      emit('key.created', created.record);
      return created;
    },
    list: (options) => keys.list(options),
    get: (idOrName) => keys.get(idOrName),
    findByKey: (key, now) => keys.findByKey(key, now),
    update: async (idOrName, changes) => emit('key.updated', await keys.update(idOrName, changes)),
    revoke: async (idOrName) => emit('key.revoked', await keys.revoke(idOrName)),
    hasActiveKeys: () => keys.hasActiveKeys(),
  };
}
