import type Database from 'better-sqlite3';
import type { ResponseStore, StoredResponse } from '../types.js';

/** Responses API responses in the `responses` table. */
export function sqliteResponses(db: Database.Database, afterWrite: () => void): ResponseStore {
  const upsert = db.prepare(`INSERT INTO responses (id, owner, created_at, response, input_items) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (id) DO UPDATE SET created_at = excluded.created_at, response = excluded.response, input_items = excluded.input_items
    WHERE responses.owner = excluded.owner`);
  const select = db.prepare<[string, string], StoredResponse>(
    'SELECT id, owner, created_at AS createdAt, response, input_items AS inputItems FROM responses WHERE id = ? AND owner = ?',
  );
  const remove = db.prepare('DELETE FROM responses WHERE id = ? AND owner = ?');
  const removeBefore = db.prepare('DELETE FROM responses WHERE created_at < ?');
  return {
    put: async (response) => {
      const { changes } = upsert.run(response.id, response.owner, response.createdAt, response.response, response.inputItems);
      afterWrite();
      return changes > 0;
    },
    get: async (id, owner) => select.get(id, owner),
    delete: async (id, owner) => remove.run(id, owner).changes > 0,
    deleteCreatedBefore: async (cutoff) => removeBefore.run(cutoff).changes,
  };
}
