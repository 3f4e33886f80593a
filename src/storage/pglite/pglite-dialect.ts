import type { PGlite } from '@electric-sql/pglite';
import {
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type QueryResult,
} from 'kysely';

/**
 * A Kysely dialect over one PGlite instance.
 *
 * We do not use `kysely-pglite`: its driver hands every caller the same PGlite session without
 * holding it, so while one request is inside BEGIN … COMMIT another request's queries run inside
 * that transaction (and are rolled back with it). PGlite has exactly one session, so this driver
 * lends it to one Kysely "connection" at a time: a transaction holds it until COMMIT/ROLLBACK.
 * It also reports affected row counts, which Kysely reads for `numDeletedRows` and friends.
 */
export function createPgliteDialect(database: PGlite): Dialect {
  return {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new PgliteDriver(database),
    createIntrospector: (kysely) => new PostgresIntrospector(kysely),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  };
}

/**
 * PGlite runs each query synchronously on the main thread, and the session passes from one
 * borrower to the next through a promise: with queries queued up, they ran back to back in
 * microtasks and the event loop served no socket or timer until the queue was empty. Under
 * `npm run bench:load` (1000 streams, a third of them app API answers saving at once) every
 * stream stalled, TGI and OpenAI ones too, which never touch the database: inter-token p99 3.2 s
 * and /health p99 3 s, against 0.2 s and 0.14 s with this pause. After this long without one, the
 * next borrower waits one turn of the event loop, so sockets and timers are served in between.
 */
const LONGEST_RUN_WITHOUT_YIELDING_MS = 10;

class PgliteDriver implements Driver {
  readonly #connection: PgliteConnection;
  /** Resolves when the session is free; each borrower chains its release onto it. */
  #sessionFree: Promise<void> = Promise.resolve();
  #releaseSession: (() => void) | null = null;
  #lastYieldAt = performance.now();

  constructor(readonly database: PGlite) {
    this.#connection = new PgliteConnection(database);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    const previous = this.#sessionFree;
    let release!: () => void;
    this.#sessionFree = new Promise((resolve) => (release = resolve));
    await previous;
    if (performance.now() - this.#lastYieldAt > LONGEST_RUN_WITHOUT_YIELDING_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      this.#lastYieldAt = performance.now();
    }
    this.#releaseSession = release;
    return this.#connection;
  }

  async releaseConnection(): Promise<void> {
    const release = this.#releaseSession;
    this.#releaseSession = null;
    release?.();
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async destroy(): Promise<void> {
    // Wait for the last borrower so closing never cuts a transaction in half.
    await this.#sessionFree;
    if (!this.database.closed) await this.database.close();
  }
}

class PgliteConnection implements DatabaseConnection {
  constructor(readonly database: PGlite) {}

  async executeQuery<Row>(compiledQuery: CompiledQuery): Promise<QueryResult<Row>> {
    const result = await this.database.query<Row>(compiledQuery.sql, [...compiledQuery.parameters]);
    return {
      rows: result.rows,
      ...(result.affectedRows === undefined ? {} : { numAffectedRows: BigInt(result.affectedRows) }),
    };
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<Row>(): AsyncIterableIterator<QueryResult<Row>> {
    throw new Error('streaming queries are not supported on PGlite');
  }
}
