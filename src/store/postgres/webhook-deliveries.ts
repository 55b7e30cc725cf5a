import type pg from 'pg';
import type { WebhookDeliveryRow, WebhookDeliveryStore } from '../types.js';

const COLUMNS = `id, ts, url, event_type AS "eventType", payload, status, attempts, last_status AS "lastStatus",
  last_error AS "lastError", delivered_at AS "deliveredAt"`;

/** The `webhook_deliveries` table: one row per event per endpoint. */
export function postgresWebhookDeliveries(pool: pg.Pool): WebhookDeliveryStore {
  return {
    insertPending: async (delivery) => {
      await pool.query(`INSERT INTO webhook_deliveries (id, ts, url, event_type, payload, status, attempts) VALUES ($1, $2, $3, $4, $5, 'pending', 0)`, [
        delivery.id,
        delivery.ts,
        delivery.url,
        delivery.eventType,
        delivery.payload,
      ]);
    },
    recordAttempt: async (id, result) => {
      await pool.query(
        `UPDATE webhook_deliveries
         SET attempts = attempts + 1, status = $2, last_status = $3, last_error = $4,
           delivered_at = CASE WHEN $2 = 'delivered' THEN $5 ELSE delivered_at END
         WHERE id = $1`,
        [id, result.status, result.httpStatus, result.error, result.at],
      );
    },
    markFailed: async (id, reason) => {
      await pool.query(`UPDATE webhook_deliveries SET status = 'failed', last_error = $2 WHERE id = $1`, [id, reason]);
    },
    listRecent: async (options = {}) => {
      const limit = options.limit ?? 100;
      const { rows } = options.status
        ? await pool.query<WebhookDeliveryRow>(`SELECT ${COLUMNS} FROM webhook_deliveries WHERE status = $1 ORDER BY ts DESC, seq DESC LIMIT $2`, [options.status, limit])
        : await pool.query<WebhookDeliveryRow>(`SELECT ${COLUMNS} FROM webhook_deliveries ORDER BY ts DESC, seq DESC LIMIT $1`, [limit]);
      return rows;
    },
  };
}
