/**
 * PostgreSQL for tests: the machine's server at 127.0.0.1:5432 when it answers. Each test file
 * makes its own databases (tollgate_test_<random>) and drops them afterwards; the server itself
 * is never stopped (outages are made with a TCP proxy in front of it).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const PG_HOST = '127.0.0.1';
export const PG_PORT = 5432;
const ADMIN_URL = `postgres://postgres@${PG_HOST}:${PG_PORT}/postgres`;

/** Does PostgreSQL answer a query on 127.0.0.1:5432 (within two seconds)? */
export async function postgresAnswers(): Promise<boolean> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 2_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export const postgresAvailable = await postgresAnswers();
if (!postgresAvailable) {
  console.warn('PostgreSQL does not answer on 127.0.0.1:5432 (user postgres): the PostgreSQL runs of the store suites are skipped.');
}

export interface TestDatabase {
  name: string;
  /** Connection string of the database, directly or through `port` (a proxy). */
  url(port?: number): string;
  drop(): Promise<void>;
}

async function admin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** A new, empty database of this run's own. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `tollgate_test_${randomBytes(6).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE ${name}`));
  return {
    name,
    url: (port = PG_PORT) => `postgres://postgres@${PG_HOST}:${port}/${name}`,
    drop: () => admin(async (client) => {
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }),
  };
}
