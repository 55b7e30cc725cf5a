import type pg from 'pg';
import type { BlobStore, StoredMedia } from '../types.js';

/** Images and audio in the `blobs` table. */
export function postgresBlobs(pool: pg.Pool): BlobStore {
  return {
    put: async (media, owner, createdAt) => {
      await pool.query('INSERT INTO blobs (id, ts, media_type, bytes, owner) VALUES ($1, $2, $3, $4, $5)', [
        media.id,
        createdAt,
        media.mediaType,
        Buffer.from(media.bytes),
        owner,
      ]);
    },
    get: async (id) => {
      const { rows } = await pool.query<{ id: string; media_type: string; bytes: Buffer; owner: string | null; ts: string }>(
        'SELECT id, media_type, bytes, owner, ts FROM blobs WHERE id = $1',
        [id],
      );
      const row = rows[0];
      if (!row) return undefined;
      return { id: row.id, mediaType: row.media_type, bytes: new Uint8Array(row.bytes), owner: row.owner, createdAt: row.ts } satisfies StoredMedia;
    },
    deleteCreatedBefore: async (cutoff) => (await pool.query('DELETE FROM blobs WHERE ts < $1', [cutoff])).rowCount ?? 0,
  };
}
