import type { EventSink, KeyRecord, KeyStore, PolicyEvent } from './types.js';

/** A key store that announces every change (`key.created`, `key.updated`, `key.revoked`). */
export function withKeyEvents(keys: KeyStore, events: EventSink): KeyStore {
  const emit = (type: Extract<PolicyEvent['type'], `key.${string}`>, record: KeyRecord): KeyRecord => {
    events.emit({ type, data: { id: record.id, name: record.name, prefix: record.prefix } });
    return record;
  };
  return {
    create: (input) => {
      const created = keys.create(input);
      emit('key.created', created.record);
      return created;
    },
    list: (options) => keys.list(options),
    get: (idOrName) => keys.get(idOrName),
    findByKey: (key, now) => keys.findByKey(key, now),
    update: (idOrName, changes) => emit('key.updated', keys.update(idOrName, changes)),
    revoke: (idOrName) => emit('key.revoked', keys.revoke(idOrName)),
    hasActiveKeys: () => keys.hasActiveKeys(),
  };
}
