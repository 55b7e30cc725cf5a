/** The request log over the SQLite ledger, its statements run on the store's read workers. */
import { requestLog, type RequestLogReader } from '../request-rows.js';
import { COLUMN_CODEC } from './keys.js';
import type { ReadSql } from './report.js';

export function sqliteRequestLog(read: ReadSql): RequestLogReader {
  return requestLog(async (build) => {
    const params: Record<string, string | number> = {};
    const sql = build((value) => {
      const name = `p${Object.keys(params).length + 1}`;
      params[name] = value;
      return `@${name}`;
    });
    return read(sql, params);
  }, COLUMN_CODEC);
}
