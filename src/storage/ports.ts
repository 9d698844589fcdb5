import type { DeadLetter, Reading, RefusalReason } from '../core/index.js';
import type { Scope } from './user-ports.js';

/** How history is summarised per `every` bucket. */
export const AGGREGATES = ['mean', 'min', 'max', 'last', 'count', 'sum'] as const;
export type Aggregate = (typeof AGGREGATES)[number];

export interface HistoryQuery {
  deviceId: string;
  metric: string;
  /** Inclusive lower bound, epoch ms. */
  from: number;
  /** Exclusive upper bound, epoch ms. */
  to: number;
  /** Bucket width in ms; buckets are aligned to the epoch (as InfluxQL's GROUP BY time()). Absent: raw points. */
  every?: number;
  /** Required with `every`. */
  agg?: Aggregate;
  /** Most points returned: the first `limit` in time order. */
  limit: number;
}

/** One point of history: bucket start (or reading time) in epoch ms, and the value. */
export interface Point {
  t: number;
  v: number | boolean;
}

/** A page of one device's stored readings, oldest first (a backtest reads history this way). */
export interface ScanQuery {
  deviceId: string;
  /** Inclusive lower bound, epoch ms. */
  from: number;
  /** Exclusive upper bound, epoch ms. */
  to: number;
  /** Most readings returned: the first `limit` in time order. Page on with `from` = the last one's ts + 1. */
  limit: number;
}

/** A reading as the store gives it back: all its metrics at one timestamp (domain and type are the registry's). */
export interface StoredReading {
  deviceId: string;
  ts: number;
  receivedAt: number;
  values: Record<string, number | boolean>;
}

/** Where readings end up: InfluxDB or the embedded SQLite store. Every adapter passes tests/storage/reading-store.contract.ts. */
export interface ReadingStore {
  readonly kind: 'influxdb' | 'sqlite';
  /** Connects; for InfluxDB detects the API from /ping and creates a missing 1.x database. */
  start(): Promise<void>;
  /**
   * Writes a batch and resolves only once the store has confirmed all of it; rejects otherwise (the caller
   * keeps the batch and retries). Writing the same (deviceId, ts) again overwrites: replays are idempotent.
   */
  write(readings: readonly Reading[]): Promise<void>;
  /** History of one metric of one device, in time order; empty buckets are left out. */
  query(q: HistoryQuery): Promise<Point[]>;
  /** How many readings (distinct device and timestamp) are stored, for one device or all. */
  count(deviceId?: string): Promise<number>;
  /** Whole readings of one device in time order, a page at a time (every metric of each). */
  scan(q: ScanQuery): Promise<StoredReading[]>;
  /** How many readings one device has in [from, to). */
  countRange(deviceId: string, from: number, to: number): Promise<number>;
  /** True when the store answers now. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export interface Location {
  lat: number;
  lon: number;
}

export interface NewDevice {
  id: string;
  domain: string;
  type: string;
  name?: string;
  district?: string;
  location?: Location;
}

export interface Device extends NewDevice {
  createdAt: number;
  /** Time of the last accepted message (epoch ms). */
  lastSeen?: number;
  /** The newest value of each metric, with the event time it carried. */
  latest: Record<string, { v: number | boolean; t: number }>;
  /** When it said goodbye (its own `offline`, or a clean DISCONNECT) and has not been back since. */
  leftAt?: number;
}

export interface DeviceFilter {
  domain?: string;
  type?: string;
  district?: string;
  /** Page after this id (ids are listed in ascending order). */
  after?: string;
  limit?: number;
}

/** What device status changes about a device: accepted readings (lastSeen, latest values) and goodbyes. */
export interface DeviceSeen {
  id: string;
  /** Absent: unchanged. */
  lastSeen?: number;
  latest: Record<string, { v: number | boolean; t: number }>;
  /** A goodbye (its time) or a return (null); absent: unchanged. */
  leftAt?: number | null;
}

/** Registered devices and their hashed secrets (SQLite in both modes). Synchronous: better-sqlite3 is. */
export interface DeviceRegistry {
  /** Throws AppError `conflict` (409) when the id exists. */
  create(device: NewDevice, secretHash: string): Device;
  /** Registers many devices at once, all or none: throws AppError `conflict` (and keeps none) when an id exists or repeats. */
  createMany(devices: readonly { device: NewDevice; secretHash: string }[]): void;
  get(id: string): Device | undefined;
  list(filter?: DeviceFilter): Device[];
  delete(id: string): boolean;
  secretHash(id: string): string | undefined;
  setSecretHash(id: string, secretHash: string): boolean;
  /** Replaces the hash only while it is still `expected` (an upgrade at login loses to a rotation made meanwhile). */
  replaceSecretHash(id: string, expected: string, secretHash: string): boolean;
  /** How many stored secret hashes there are of each scheme (the text before the first `$`: `hmac-sha256`, `scrypt`). */
  secretSchemes(): Record<string, number>;
  /** Records lastSeen, latest values and goodbyes for many devices in one transaction. */
  recordSeen(updates: readonly DeviceSeen[]): void;
}

/** Values of the whole installation, kept with the shared state: the same for every node that shares the database. */
export interface InstallationStore {
  /** The key of device secrets' keyed hashes: 32 random bytes made the first time it is asked for, then always the same. */
  deviceSecretKey(): Buffer;
}

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface ApiToken {
  id: string;
  name: string;
  role: Role;
  createdAt: number;
  /** Limits what the token sees and does; absent: everything. */
  scope?: Scope;
}

/** API tokens, stored as SHA-256 hashes. */
export interface TokenStore {
  create(name: string, role: Role, tokenHash: string, scope?: Scope): ApiToken;
  findByHash(tokenHash: string): ApiToken | undefined;
  list(): ApiToken[];
  delete(id: string): boolean;
  countByRole(role: Role): number;
}

export interface StoredDeadLetter extends DeadLetter {
  id: number;
}

/** Which dead letters a replay takes (all given ones apply). */
export interface DeadLetterSelection {
  reason?: RefusalReason;
  deviceId?: string;
  /** receivedAt bounds, epoch ms: from inclusive, to exclusive. */
  from?: number;
  to?: number;
}

/**
 * Refused messages, each with its payload whole (for a replay). An adapter is opened with a bound of letters and of
 * payload bytes: past either, an add removes the oldest. Every adapter passes tests/storage/dead-letter-store.contract.ts.
 */
export interface DeadLetterStore {
  add(letters: readonly DeadLetter[]): void;
  /** Newest first; `before` pages (ids below it). */
  list(opts: { limit: number; reason?: RefusalReason; before?: number }): StoredDeadLetter[];
  /** Oldest first, ids above `after`: the letters a replay goes through, a page at a time. */
  select(selection: DeadLetterSelection, opts: { after: number; limit: number }): StoredDeadLetter[];
  /** Removes letters (replayed and stored). */
  remove(ids: readonly number[]): void;
  /** Gives a letter the reason it is refused for now (a replay that still fails, perhaps for another reason). */
  setReason(id: number, reason: RefusalReason, detail: string): void;
  /** Removes letters older than `olderThan` (epoch ms) and all but the newest `keep`. Returns how many. */
  purge(olderThan: number, keep: number): number;
}

/**
 * One consumer of the ingest spool (docs/architecture.md, "Sinks of the spool"): the store writer, the event
 * stream, a webhook… The spool hands it batches in spool order, each batch at least once; a batch counts as
 * delivered only when write() resolved, and a row leaves the spool once every sink has confirmed it.
 */
export interface ReadingSink {
  /** A short, stable name: it keys the sink's position in spool.db, its metrics and its logs. */
  readonly name: string;
  /** Delivers a batch; resolves once the receiver confirmed all of it, rejects (the batch is retried) otherwise. Writing a batch again must not store anything twice. */
  write(readings: readonly Reading[]): Promise<void>;
  /** Readings per batch (default 5000). */
  readonly batchSize?: number;
  /** Batches in flight at once (default 1). */
  readonly concurrency?: number;
  /** While less than a full batch waits, rounds start at most this often (ms; default 0). */
  readonly lingerMs?: number;
}

/** Named positions on an increasing sequence (e.g. the last alert eventId published), kept across restarts. */
export interface PositionStore {
  get(name: string): number | undefined;
  set(name: string, value: number): void;
}
