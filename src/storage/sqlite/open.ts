import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

export type SqliteDb = Database.Database;

/** One schema step. Its position in the list (1-based) is the `user_version` it leaves behind. */
export interface Migration {
  /** What it adds, for logs and errors. */
  readonly name: string;
  readonly up: string | ((db: SqliteDb) => void);
}

export interface OpenOptions {
  /** Applied in order, each in its own transaction; append new steps, never edit released ones. */
  migrations: readonly Migration[];
  /** `FULL` makes every commit durable on return (WAL fsync); `NORMAL` may lose the last commits on power loss. */
  synchronous?: 'FULL' | 'NORMAL';
  /** How long a writer waits for another connection's lock before SQLITE_BUSY (ms). */
  busyTimeoutMs?: number;
}

/** Opens (creating it and its folder) a SQLite file in WAL mode with foreign keys on, and brings its schema up to date. */
export function openSqlite(file: string, opts: OpenOptions): SqliteDb {
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file, { timeout: opts.busyTimeoutMs ?? 5000 });
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${opts.synchronous ?? 'FULL'}`);
    db.pragma('foreign_keys = ON');
    migrate(db, opts.migrations, file);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** Runs the migrations that `PRAGMA user_version` says are not applied yet. */
function migrate(db: SqliteDb, migrations: readonly Migration[], file: string): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > migrations.length) {
    throw new Error(`${file}: schema version ${current} is newer than this build knows (${migrations.length}); refusing to open it`);
  }
  for (let i = current; i < migrations.length; i++) {
    const m = migrations[i]!;
    // user_version lives in the file header, so setting it inside the transaction commits it with the step.
    try {
      db.transaction(() => {
        if (typeof m.up === 'string') db.exec(m.up);
        else m.up(db);
        db.pragma(`user_version = ${i + 1}`);
      }).immediate();
    } catch (err) {
      throw new Error(`${file}: schema step ${i + 1} (${m.name}) failed, the file is left at step ${i}: ${(err as Error).message}`, { cause: err });
    }
  }
}
