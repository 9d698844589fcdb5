// The port of the ingest spool's durable log (docs/architecture.md, "Durability" and "Sinks of the spool"). Local to a node
// (SQLite on its own disk) and synchronous, as better-sqlite3 is: an append is durable when it returns, before
// the PUBACKs of its readings are sent. What is not storage (the in-memory tail, the per-sink counts, which rows
// every sink is past, the bound) is the ingest's.
import type { Reading } from '../core/index.js';

/** Whole appends read back, oldest first: their readings, the last one's id (0: none), and what they take up. */
export interface SpoolBatch {
  readings: Reading[];
  lastId: number;
  bytes: number;
}

/** One append as it was written. */
export interface SpoolAppend {
  id: number;
  /** What it takes up in the log, as count() and the spool's bound measure it. */
  bytes: number;
  /** The earliest receive time among its readings. */
  receivedAt: number;
}

/** The newest seqs of one device (and the device time each came with, NaN without one), kept over a graceful restart. */
export interface SavedSeqs {
  deviceId: string;
  seqs: Float64Array;
  times: Float64Array;
}

/**
 * An append-only log of readings, one append per group commit, ids strictly increasing (never reused, also once
 * the log was emptied), read by several sinks each from its own position, and removed from the front once every
 * sink is past it. Every adapter passes tests/storage/spool.contract.ts.
 */
export interface SpoolStore {
  /** How the previous run ended, read once at open: `fresh` (no log before), `stopped` (markStopped, at `stoppedAt`), `unknown` (killed, or no marker). */
  readonly previousRun: 'fresh' | 'stopped' | 'unknown';
  readonly stoppedAt?: number;
  /** The newest append's id; 0 for a new log. */
  readonly lastId: number;
  /** Every append with an id up to this one is removed (lastId when the log is empty). */
  readonly removedUpTo: number;
  /** Writes the readings as one append, with the next id; they are durable when it returns. Throws (keeping nothing) on failure. */
  append(readings: readonly Reading[]): SpoolAppend;
  /** Whole appends with after < id < below (default: all after), oldest first: as many as fit in `limit` readings, and at least one. */
  read(after: number, limit: number, below?: number): SpoolBatch;
  /** Readings and bytes of the appends kept with after < id <= upTo. */
  count(after: number, upTo: number): { n: number; bytes: number };
  /**
   * Sink `sink`'s position: the last id it was advanced to, kept across a restart; at most lastId, and at least
   * removedUpTo (a sink new to the log, or back after appends it never saw were removed, starts at the oldest kept).
   */
  position(sink: string): number;
  /** Moves sink `sink` to `position` and removes every append with id <= `removeThrough` (0: none) in one transaction; on failure neither happens. */
  advance(sink: string, position: number, removeThrough: number): void;
  /** Receive time of the oldest reading kept, null when the log is empty. */
  oldestReceivedAt(): number | null;
  /** The seqs the last saveSeqs() kept. */
  savedSeqs(): Iterable<SavedSeqs>;
  /** Replaces the saved seqs (one transaction). */
  saveSeqs(devices: Iterable<SavedSeqs>): void;
  /** Records a clean stop at `at` (the next open's previousRun is `stopped`). */
  markStopped(at: number): void;
  close(): void;
}
