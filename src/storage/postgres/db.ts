import pg from 'pg';

/** A pool of connections to one PostgreSQL database. */
export type PgPool = pg.Pool;
/** One connection (of a pool), e.g. inside a transaction. */
export type PgClient = pg.PoolClient;
/** What runs a query: the pool, or a transaction's connection. */
export type Queryable = Pick<pg.Pool, 'query'>;

// BIGINT (epoch ms, ids) as a JS number rather than pg's default string: every value we store is below 2^53.
const INT8_OID = 20;
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID && format !== 'binary') return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

/** A pool on `databaseUrl` (`postgres://…`) whose BIGINTs come back as numbers. */
export function openPool(databaseUrl: string, max = 10): PgPool {
  const pool = new pg.Pool({ connectionString: databaseUrl, max, types });
  // An idle connection that the server ends (restart, failover) must not crash the process: the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}

/** Runs `fn` in one transaction on one connection of the pool: COMMIT when it resolves, ROLLBACK when it throws. */
export async function inTransaction<T>(pool: PgPool, fn: (c: PgClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** True when `err` is PostgreSQL's unique_violation (23505). */
export const isUniqueViolation = (err: unknown): boolean => (err as { code?: string }).code === '23505';
