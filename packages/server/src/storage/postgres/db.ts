/**
 * The PostgreSQL adapter's connection pool: queries, transactions retried on
 * serialization failures and deadlocks, and driver errors that mean "the database
 * cannot be reached" turned into `StorageUnavailable`. No concept's SQL is here.
 */
import pg from 'pg';
import { StorageUnavailable } from '../storage.ts';

/** int8 (ids, times in ms) as JavaScript numbers: every such value stays below 2^53. */
const types = {
  getTypeParser(oid: number, format?: string): (v: string) => unknown {
    if (oid === 20) return (v: string) => Number(v);
    return (pg.types.getTypeParser as (o: number, f?: string) => (v: string) => unknown)(oid, format);
  },
};

/** SQLSTATE classes and driver messages that mean the server is gone, restarting or unreachable. */
function unavailable(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300') return true;
    if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND'].includes(code)) return true;
  }
  const message = e instanceof Error ? e.message : '';
  // "timeout exceeded when trying to connect": no pool connection came free in time (the database is slow or down); retryable, not a bug.
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|terminating connection/i.test(message);
}

function retryable(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return code === '40001' || code === '40P01';
}

export interface DbOptions {
  readonly connectionString: string;
  /** Connections in the pool (default 10). */
  readonly poolSize?: number;
  /** Extra server settings for every connection, e.g. `-c search_path=x` (tests use one schema per store). */
  readonly options?: string;
}

export type Query = (text: string, values?: readonly unknown[]) => Promise<pg.QueryResult>;

export class Db {
  readonly pool: pg.Pool;
  /** A few connections with synchronous_commit off, for writes whose loss in a crash is harmless (acks). */
  private readonly relaxedPool: pg.Pool;

  constructor(opts: DbOptions) {
    const pool = (max: number, options: string) => {
      const p = new pg.Pool({
        connectionString: opts.connectionString,
        max,
        types,
        // Why: while the database is down, a request fails within seconds with UNAVAILABLE instead of hanging.
        connectionTimeoutMillis: 5_000,
        ...(options ? { options } : {}),
      });
      // An idle connection that breaks (the server restarted) is dropped by the pool; nothing to do.
      p.on('error', () => undefined);
      return p;
    };
    this.pool = pool(opts.poolSize ?? 10, opts.options ?? '');
    this.relaxedPool = pool(2, `${opts.options ?? ''} -c synchronous_commit=off`.trim());
  }

  /**
   * One statement, atomic by itself (no BEGIN/COMMIT round trips), retried like a
   * transaction on a deadlock; `relaxed`: committed with synchronous_commit off.
   */
  async statement(text: string, values: readonly unknown[], relaxed = false): Promise<pg.QueryResult> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await (relaxed ? this.relaxedPool : this.pool).query(text, values as unknown[]);
      } catch (e) {
        if (retryable(e) && attempt < 5) continue;
        throw this.mapped(e);
      }
    }
  }

  /** One statement outside a transaction; `array`: rows as arrays (cheaper for thousands of rows). */
  async query(text: string, values?: readonly unknown[], rowMode?: 'array'): Promise<pg.QueryResult> {
    try {
      if (rowMode) return await this.pool.query({ text, values: values as unknown[], rowMode } as pg.QueryArrayConfig);
      return await this.pool.query(text, values as unknown[]);
    } catch (e) {
      throw this.mapped(e);
    }
  }

  /**
   * Runs `f` in one transaction (READ COMMITTED; callers lock what they read with FOR
   * UPDATE / FOR SHARE). Retried a few times on a deadlock or serialization failure,
   * which roll back everything, so `f` must have no effect outside the database.
   * `relaxed`: synchronous_commit off, for writes whose loss in a crash is harmless.
   */
  async tx<T>(f: (q: Query) => Promise<T>, relaxed = false): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      let client: pg.PoolClient;
      try {
        client = await this.pool.connect();
      } catch (e) {
        throw this.mapped(e);
      }
      let broken = false;
      try {
        await client.query(relaxed ? 'BEGIN; SET LOCAL synchronous_commit TO OFF' : 'BEGIN');
        const result = await f((text, values) => client.query(text, values as unknown[]));
        await client.query('COMMIT');
        return result;
      } catch (e) {
        broken = unavailable(e);
        if (!broken) await client.query('ROLLBACK').catch(() => (broken = true));
        if (!broken && retryable(e) && attempt < 5) continue;
        throw this.mapped(e);
      } finally {
        client.release(broken);
      }
    }
  }

  private mapped(e: unknown): unknown {
    return unavailable(e) ? new StorageUnavailable(e instanceof Error ? e.message : String(e)) : e;
  }

  private closing: Promise<void> | undefined;

  /** Ends the pool (once: closing again waits for the first). */
  close(): Promise<void> {
    this.closing ??= Promise.all([this.pool.end(), this.relaxedPool.end()]).then(() => undefined);
    return this.closing;
  }
}

/** A Buffer from the driver as a Uint8Array of its own. */
export function u8(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength).slice();
}
