/**
 * The few things the SQL chat store needs from a PostgreSQL driver, so one store runs on PGlite
 * (embedded), `pg` (a server) or any driver an app already has: run a parameterised statement and
 * get its rows, and run a function inside one transaction. Parameters are `$1, $2, ...`; JSON
 * travels as text cast with `::jsonb`; integers may come back as numbers or strings (the store
 * converts them).
 */

/** Something that runs one statement: the engine itself, or the connection of a transaction. */
export interface SqlQueryable {
  /** Runs one parameterised statement; resolves to its rows (empty for statements without). */
  query<Row extends Record<string, unknown> = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
}

/** A PostgreSQL connection (or pool) as the SQL chat store uses it. */
export interface SqlEngine extends SqlQueryable {
  /**
   * Runs `fn` in one transaction on one connection: committed when `fn` resolves, rolled back when
   * it throws (the error is rethrown). Statements of `fn` must go through the `tx` it is given.
   */
  transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T>;
  /** Releases what the engine owns; an engine over a connection the app passed in may leave it open. */
  close?(): Promise<void>;
}
