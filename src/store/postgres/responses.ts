import type pg from 'pg';
import type { ResponseStore, StoredResponse } from '../types.js';

/** Responses API responses in the `responses` table. */
export function postgresResponses(pool: pg.Pool): ResponseStore {
  return {
    put: async (response) => {
      const result = await pool.query(
        `INSERT INTO responses (id, owner, created_at, response, input_items) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO UPDATE SET created_at = excluded.created_at, response = excluded.response, input_items = excluded.input_items
         WHERE responses.owner = excluded.owner`,
        [response.id, response.owner, response.createdAt, response.response, response.inputItems],
      );
      return (result.rowCount ?? 0) > 0;
    },
    get: async (id, owner) => {
      const { rows } = await pool.query<StoredResponse>(
        'SELECT id, owner, created_at AS "createdAt", response, input_items AS "inputItems" FROM responses WHERE id = $1 AND owner = $2',
        [id, owner],
      );
      return rows[0];
    },
    delete: async (id, owner) => ((await pool.query('DELETE FROM responses WHERE id = $1 AND owner = $2', [id, owner])).rowCount ?? 0) > 0,
    deleteCreatedBefore: async (cutoff) => (await pool.query('DELETE FROM responses WHERE created_at < $1', [cutoff])).rowCount ?? 0,
  };
}
