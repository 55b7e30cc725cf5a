import type Database from 'better-sqlite3';
import type { WebhookDeliveryRow, WebhookDeliveryStore } from '../types.js';

const columns = `id, ts, url, event_type AS eventType, payload, status, attempts, last_status AS lastStatus,
  last_error AS lastError, delivered_at AS deliveredAt`;

/** The `webhook_deliveries` table (migration 2): one row per event per endpoint. */
export function sqliteWebhookDeliveries(db: Database.Database): WebhookDeliveryStore {
  const insert = db.prepare(`INSERT INTO webhook_deliveries (id, ts, url, event_type, payload, status, attempts)
    VALUES (@id, @ts, @url, @eventType, @payload, 'pending', 0)`);
  const attempt = db.prepare(`UPDATE webhook_deliveries
    SET attempts = attempts + 1, status = @status, last_status = @httpStatus, last_error = @error,
      delivered_at = CASE WHEN @status = 'delivered' THEN @at ELSE delivered_at END
    WHERE id = @id`);
  const fail = db.prepare(`UPDATE webhook_deliveries SET status = 'failed', last_error = @reason WHERE id = @id`);
  const recent = db.prepare(`SELECT ${columns} FROM webhook_deliveries ORDER BY ts DESC, rowid DESC LIMIT ?`);
  const recentByStatus = db.prepare(
    `SELECT ${columns} FROM webhook_deliveries WHERE status = ? ORDER BY ts DESC, rowid DESC LIMIT ?`,
  );

  return {
    insertPending: async (delivery) => {
      insert.run(delivery);
    },
    recordAttempt: async (id, result) => {
      attempt.run({ id, ...result });
    },
    markFailed: async (id, reason) => {
      fail.run({ id, reason });
    },
    listRecent: async (options = {}) => {
      const limit = options.limit ?? 100;
      const rows = options.status ? recentByStatus.all(options.status, limit) : recent.all(limit);
      return rows as WebhookDeliveryRow[];
    },
  };
}
