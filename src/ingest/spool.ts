import type { Reading } from '../core/index.js';
import type { SpoolBatch, SpoolStore } from '../storage/index.js';

export type { SpoolBatch } from '../storage/index.js';

/**
 * The spool's size estimate of one reading before it is committed: its strings and a JSON object's keys. It errs
 * high (values are counted at their payload size), so the bound is never passed by more than one turn's estimate.
 */
export function rowBytes(r: Reading, payloadBytes: number): number {
  return payloadBytes + r.deviceId.length + r.domain.length + r.type.length + 90;
}

/** Readings kept in memory after their commit (the newest ones), so the writer need not read back what was just written. */
const TAIL_MAX_READINGS = 50_000;

/** Appends read back per page when the seqs are gathered at start. */
const SEQ_PAGE_READINGS = 5000;

/** One append, as the tail keeps it. */
interface TailEntry {
  id: number;
  readings: Reading[];
  bytes: number;
  /** The earliest receive time among its readings. */
  receivedAt: number;
}

/**
 * The durable spool: a log of appends (the SpoolStore port; SQLite in `spool.db`, see storage/sqlite/spool.ts), one
 * append per group commit, in arrival order (id). Rows leave from the front once every sink (the store, the event
 * stream …) confirmed them. Depth and bytes are counted in memory, recounted at open.
 *
 * The newest appends are also kept in memory (the tail, at most TAIL_MAX_READINGS): while the writer keeps
 * up, it takes its batches from there, so the disk is only appended to and trimmed, never read back. Appends
 * older than the tail (a backlog past the bound, or what a previous run left) are read from the log first.
 */
export class Spool {
  /** Per sink (in the order of `sinks`), the last append id it confirmed. */
  private readonly positions: number[];
  /** Per sink, the readings after its position (what it still has to deliver). */
  private readonly pendingReadings: number[];
  /** Oldest first; always the newest appends of the log. */
  private tail: TailEntry[] = [];
  private tailReadings = 0;
  private open = true;
  depth: number;
  bytes: number;
  /** Transactions committed by append(): one per group commit. */
  commits = 0;

  /**
   * `sinks` names the spool's consumers (the store writer first), each with its own position in `store`, the log
   * (opened for the same sinks).
   */
  constructor(private readonly store: SpoolStore, readonly sinks: readonly string[] = ['store'], private readonly tailMax = TAIL_MAX_READINGS) {
    try {
      if (sinks.length === 0) throw new Error('a spool needs at least one sink');
      const counted = store.count(store.removedUpTo, store.lastId);
      this.depth = counted.n;
      this.bytes = counted.bytes;
      this.positions = sinks.map((name) => store.position(name));
      this.pendingReadings = this.positions.map((p) => (p === store.removedUpTo ? this.depth : store.count(p, store.lastId).n));
    } catch (err) {
      store.close();
      throw err;
    }
  }

  /**
   * How the previous run ended: `fresh` (no spool before), `stopped` (close() said so, with `stoppedAt`), or
   * `unknown` (it was killed, or an older build wrote no marker).
   */
  get previousRun(): SpoolStore['previousRun'] {
    return this.store.previousRun;
  }

  /** With `stopped`: the latest time the previous run may have given a reading (see Ingest's receive times). */
  get stoppedAt(): number | undefined {
    return this.store.stoppedAt;
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** Appends readings as one append (one transaction); when it returns they are on disk. Throws (and keeps nothing) on failure. */
  append(readings: Reading[]): void {
    if (readings.length === 0) return;
    const { id, bytes, receivedAt } = this.store.append(readings);
    this.commits++;
    this.depth += readings.length;
    this.bytes += bytes;
    this.tail.push({ id, readings, bytes, receivedAt });
    this.tailReadings += readings.length;
    for (let i = 0; i < this.pendingReadings.length; i++) this.pendingReadings[i]! += readings.length;
    // Past the bound the oldest entries are forgotten here; they stay on disk and are read from there.
    while (this.tailReadings > this.tailMax && this.tail.length > 1) this.tailReadings -= this.tail.shift()!.readings.length;
  }

  /**
   * The oldest readings after append `after` (0: from the start): whole appends, as many as fit in `limit`
   * readings, and always at least one (an append larger than `limit` comes whole). In spool order.
   */
  oldest(limit: number, after = 0): SpoolBatch {
    const tailFirst = this.tail[0]?.id ?? Number.MAX_SAFE_INTEGER;
    if (this.depth > this.tailReadings && after < tailFirst - 1) {
      const batch = this.store.read(after, limit, tailFirst);
      if (batch.readings.length > 0) return batch;
    }
    let i = 0;
    while (i < this.tail.length && this.tail[i]!.id <= after) i++;
    const first = this.tail[i];
    if (!first) return { readings: [], lastId: 0, bytes: 0 };
    let end = i + 1;
    let count = first.readings.length;
    while (end < this.tail.length && count + this.tail[end]!.readings.length <= limit) count += this.tail[end++]!.readings.length;
    // The common case, one append: its array is the batch, no copy.
    if (end === i + 1) return { readings: first.readings, lastId: first.id, bytes: first.bytes };
    const readings: Reading[] = [];
    let bytes = 0;
    for (let k = i; k < end; k++) {
      const e = this.tail[k]!;
      for (const r of e.readings) readings.push(r);
      bytes += e.bytes;
    }
    return { readings, lastId: this.tail[end - 1]!.id, bytes };
  }

  /** The last append id that sink `sink` (its index in `sinks`) confirmed. */
  position = (sink: number): number => this.positions[sink]!;
  /** Readings sink `sink` has still to deliver. */
  pending = (sink: number): number => this.pendingReadings[sink]!;

  /**
   * Sink `sink` delivered batches that oldest() returned after its position, in their order: its position moves
   * past them, and appends every sink is past are removed from the front of the spool, in the same transaction,
   * so a restart resumes each sink where it was.
   */
  confirm(sink: number, batches: readonly SpoolBatch[]): void {
    let upTo = this.positions[sink]!;
    let n = 0;
    for (const b of batches) {
      if (b.readings.length === 0) continue;
      upTo = Math.max(upTo, b.lastId);
      n += b.readings.length;
    }
    if (upTo === this.positions[sink]) return;
    let min = upTo;
    for (let i = 0; i < this.positions.length; i++) if (i !== sink && this.positions[i]! < min) min = this.positions[i]!;
    const removeThrough = min > this.store.removedUpTo ? min : 0;
    const freed = removeThrough ? this.freedThrough(removeThrough) : { n: 0, bytes: 0 };
    this.store.advance(this.sinks[sink]!, upTo, removeThrough);
    // Only once the log moved: on failure nothing did, and the sink delivers the batches again.
    this.positions[sink] = upTo;
    this.pendingReadings[sink]! -= n;
    if (!removeThrough) return;
    this.depth -= freed.n;
    this.bytes -= freed.bytes;
    while (this.tail.length > 0 && this.tail[0]!.id <= removeThrough) this.tailReadings -= this.tail.shift()!.readings.length;
  }

  /** What removing the appends up to `upTo` frees: counted in the tail, and in the log for appends older than the tail. */
  private freedThrough(upTo: number): { n: number; bytes: number } {
    const removedUpTo = this.store.removedUpTo;
    const tailFirst = this.tail[0]?.id ?? this.store.lastId + 1;
    const freed = removedUpTo + 1 < tailFirst ? this.store.count(removedUpTo, Math.min(upTo, tailFirst - 1)) : { n: 0, bytes: 0 };
    for (const e of this.tail) {
      if (e.id > upTo) break;
      freed.n += e.readings.length;
      freed.bytes += e.bytes;
    }
    return freed;
  }

  /** Receive time of the oldest reading kept, or null when the spool is empty. */
  oldestReceivedAt(): number | null {
    if (this.depth > 0 && this.depth === this.tailReadings) return this.tail[0]!.receivedAt;
    return this.store.oldestReceivedAt();
  }

  /**
   * The seqs to remember at start, oldest first: those the last graceful stop saved, then those of every spooled
   * reading. `time` is the device time a seq came with, NaN when it had none.
   */
  *seqs(): Generator<{ deviceId: string; seq: number; time: number }> {
    for (const d of this.store.savedSeqs()) {
      for (let i = 0; i < d.seqs.length; i++) yield { deviceId: d.deviceId, seq: d.seqs[i]!, time: d.times[i]! };
    }
    for (let after = 0; ;) {
      const page = this.store.read(after, SEQ_PAGE_READINGS);
      if (page.readings.length === 0) return;
      after = page.lastId;
      for (const r of page.readings) {
        if (r.seq !== undefined) yield { deviceId: r.deviceId, seq: r.seq, time: r.ts !== r.receivedAt ? r.ts : Number.NaN };
      }
    }
  }

  /** Records a clean stop, and the latest time this run gave a reading (read by the next run, see previousRun). */
  markStopped(at: number): void {
    this.store.markStopped(at);
  }

  /** Replaces the saved seq memory (one transaction). */
  saveSeqs(devices: Iterable<{ deviceId: string; seqs: Float64Array; times: Float64Array }>): void {
    this.store.saveSeqs(devices);
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    this.tail = [];
    this.tailReadings = 0;
    this.store.close();
  }
}
