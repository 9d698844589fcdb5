import type { Registry } from 'prom-client';
import type { Catalog, InboundMessage, Logger, Reading, RefusalReason, RefusedMessage } from '../core/index.js';
import type { DeadLetterStore, ReadingSink, ReadingStore } from '../storage/index.js';

export interface IngestDeps {
  catalog: Catalog;
  store: ReadingStore;
  deadLetters: DeadLetterStore;
  log: Logger;
  /** prom-client registry the ingest metrics are registered on. */
  metrics: Registry;
  /** The spool lives in `${dataDir}/spool.db`. */
  dataDir: string;
  /** Past this estimate of spooled bytes, new messages are not taken (done(err)). */
  spoolMaxBytes: number;
  /** Clock for ages (epoch ms); defaults to Date.now. */
  now?: () => number;
  /** Readings per store write; default 5000. */
  batchSize?: number;
  /** Store writes in flight at once (InfluxDB takes several; SQLite writes one at a time anyway); default 1. */
  writeConcurrency?: number;
  /** While less than a full batch waits, store writes start at most this often (ms); default 0 (at once). */
  writeLingerMs?: number;
  /**
   * Sinks of the spool besides the store (the event stream …), each with its own position: a row leaves the spool
   * only once the store and every one of them confirmed it. Names must differ from each other and from `store`.
   */
  sinks?: readonly ReadingSink[];
}

/** One sink of the spool as stats show it. */
export interface SinkStats {
  name: string;
  /** Readings spooled that it has still to deliver. */
  lag: number;
  /** False from a failed write until one succeeds again. */
  up: boolean;
  /** Readings it confirmed (this run). */
  written: number;
}

export interface IngestStats {
  /** Readings accepted into the spool. */
  accepted: number;
  /** Messages refused, per reason (every reason present). */
  refused: Record<string, number>;
  /** Readings the store confirmed (this run). */
  stored: number;
  spoolDepth: number;
  spoolBytes: number;
  /** Age of the oldest reading waiting in the spool, null when it is empty. */
  oldestAgeMs: number | null;
  storeUp: boolean;
  /** Every sink, the store first. */
  sinks: SinkStats[];
}

export interface Ingest {
  /** Opens the spool (resuming what a previous run left) and starts the store writer. */
  start(): Promise<void>;
  /**
   * Decode, validate, spool. Calls done() once the reading is durable in the spool, or once an invalid
   * message is dead-lettered (then done(undefined, true): refused, to be delivered nowhere); done(err) only when the
   * message could NOT be taken (spool full, closing).
   */
  handle(msg: InboundMessage, done: Done): void;
  /** Validates a dead letter's message again: stored at its own timestamps when it passes now. Rejects when it cannot be taken. */
  replay(msg: InboundMessage): Promise<ReplayOutcome>;
  /** Records a publish the broker refused (e.g. not_authorized): counted and dead-lettered, never stored. */
  refuse(msg: RefusedMessage, reason: RefusalReason, detail: string): void;
  /** Listener for readings once they are durable in the spool, in spool order. */
  onAccepted(listener: (readings: readonly Reading[]) => void): void;
  /** Forgets what it remembers of a deleted device (its seqs, its last receive time), so an id used again starts afresh. */
  forget(deviceId: string): void;
  stats(): IngestStats;
  /** True while messages are taken, the spool has room and the store's last write succeeded. */
  ready(): boolean;
  /** Stops taking messages, commits what is pending, lets every sink's writer deliver the spool until `deadline` (epoch ms). */
  drain(deadline: number): Promise<void>;
  /** Commits what this turn gathered, stops the writers, keeps the seq memory and closes the spool. */
  stop(): Promise<void>;
  /** The same as stop() (its earlier name, which tests and tools still call). */
  close(): Promise<void>;
}

/** What a replayed message came to: its readings spooled (durable), or the reason it is still refused. */
export type ReplayOutcome = { stored: number } | { refused: RefusalReason; detail: string };

/** Why handle() could not take a message: the broker closes the connection without acknowledging it. */
export class IngestUnavailableError extends Error {
  constructor(readonly code: 'spool_full' | 'too_fast' | 'not_running', message: string) {
    super(message);
    this.name = 'IngestUnavailableError';
  }
}

/** handle()'s answer: `err` when the message could not be taken, `refused` when it was dead-lettered. */
export type Done = (err?: Error, refused?: boolean) => void;
