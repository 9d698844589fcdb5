import type { Logger } from '../core/index.js';
import type { ReadingStore } from '../storage/index.js';
import type { IngestMetrics } from './metrics.js';
import type { Spool, SpoolBatch } from './spool.js';

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5000;

/** A wait of `ms` that `end()` cuts short (ending it twice is harmless). */
function interruptibleWait(ms: number): { ended: Promise<void>; end: () => void } {
  let end!: () => void;
  const ended = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    end = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  return { ended, end };
}

/**
 * Drains the spool into the store, oldest first, a few batches at a time: a batch is removed from the spool only
 * after the store confirmed it and every batch before it; on failure it stays and is retried with a doubling back-off.
 */
export class StoreWriter {
  /** False from a failed write until a write succeeds again. */
  storeUp = true;
  /** Readings confirmed by the store (this run). */
  stored = 0;
  private stopped = false;
  private running = false;
  private wakeIdle: (() => void) | undefined;
  private endLinger: (() => void) | undefined;
  private lastRoundAt = 0;
  private endPause: (() => void) | undefined;
  private emptyWaiters: Array<() => void> = [];

  constructor(
    private readonly spool: Spool,
    private readonly store: ReadingStore,
    private readonly batchSize: number,
    private readonly log: Logger,
    private readonly metrics: IngestMetrics,
    /** Batches written at once. */
    private readonly concurrency = 1,
    /** Least time between two write rounds while less than a full batch waits (0: write at once). */
    private readonly lingerMs = 0,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.run().catch((err: unknown) => this.log.error({ err }, 'the store writer stopped on an unexpected error'));
  }

  /** New readings are in the spool: an idle writer looks again (a backing-off one keeps its pause). */
  wake(): void {
    const w = this.wakeIdle;
    this.wakeIdle = undefined;
    w?.();
    if (this.spool.depth >= this.batchSize) this.endLinger?.();
  }

  /** Resolves once the spool is empty, or at `deadline` (epoch ms), whichever comes first. */
  whenEmpty(deadline: number): Promise<void> {
    if (this.spool.depth === 0 || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(finish, Math.max(0, deadline - Date.now()));
      function finish() {
        clearTimeout(timer);
        resolve();
      }
      this.emptyWaiters.push(finish);
      this.endLinger?.(); // a drain does not wait for a fuller batch
    });
  }

  /** Takes no further batch. A write in flight is not awaited: if it completes later, its rows stay spooled
   *  (or are removed, while the spool is still open) and a replay after restart overwrites the same points. */
  stop(): void {
    this.stopped = true;
    this.wake();
    this.endLinger?.();
    this.endPause?.();
    this.settleEmptyWaiters();
  }

  private async run(): Promise<void> {
    let retryMs = RETRY_MIN_MS;
    while (!this.stopped && this.spool.isOpen) {
      await this.linger();
      if (this.stopped || !this.spool.isOpen) break;
      // Up to `concurrency` batches, oldest first, written at once: a store far away (InfluxDB over HTTP) is then
      // not idle while one answer travels back through a busy event loop.
      const batches: SpoolBatch[] = [];
      try {
        for (let after = 0; batches.length < this.concurrency; ) {
          const b = this.spool.oldest(this.batchSize, after);
          if (b.readings.length === 0) break;
          batches.push(b);
          after = b.lastId;
        }
      } catch (err) {
        this.log.error({ err }, 'cannot read the spool; retrying');
        await this.pause(RETRY_MAX_MS);
        continue;
      }
      if (batches.length === 0) {
        this.settleEmptyWaiters();
        await new Promise<void>((resolve) => (this.wakeIdle = resolve));
        continue;
      }
      this.lastRoundAt = Date.now();
      const results = await Promise.allSettled(batches.map((b) => this.write(b)));
      // What the store confirmed, up to the first failure, leaves the spool; the rest is written again later
      // (points already stored are overwritten with themselves).
      let ok = 0;
      while (ok < results.length && results[ok]!.status === 'fulfilled') ok++;
      const confirmed = batches.slice(0, ok);
      if (confirmed.length > 0 && this.spool.isOpen) {
        try {
          this.spool.remove(confirmed);
        } catch (err) {
          // The store has the batches; they stay spooled and are written again (same points, overwritten).
          this.log.error({ err }, 'cannot remove stored batches from the spool');
          await this.pause(RETRY_MAX_MS);
          continue;
        }
        const n = confirmed.reduce((sum, b) => sum + b.readings.length, 0);
        this.stored += n;
        this.metrics.stored.inc(n);
      }
      if (!this.spool.isOpen) return;
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) {
        this.metrics.storeWriteFailures.inc();
        if (this.storeUp) this.log.warn({ err: failed.reason, readings: batches[ok]!.readings.length, spoolDepth: this.spool.depth }, 'store write failed; the batch stays in the spool and is retried');
        this.storeUp = false;
        await this.pause(retryMs);
        retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
        continue;
      }
      if (!this.storeUp) this.log.info({ spoolDepth: this.spool.depth }, 'store writes succeed again');
      this.storeUp = true;
      retryMs = RETRY_MIN_MS;
      // A store that writes synchronously (SQLite) would otherwise drain a backlog batch after batch in one
      // event-loop turn, holding up every PUBACK and alert meanwhile: let the loop turn between rounds.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.settleEmptyWaiters();
  }

  private async write(batch: SpoolBatch): Promise<void> {
    const endTimer = this.metrics.storeWrite.startTimer();
    await this.store.write(batch.readings);
    endTimer();
  }

  /**
   * Under a light load every group commit would become its own store write: an HTTP request and a WAL fsync in
   * InfluxDB, and a spool DELETE, for a few hundred readings. Until a full batch waits, rounds start at most every
   * `lingerMs` (the readings are durable in the spool meanwhile); a full batch, stop() or a drain ends the wait.
   */
  private async linger(): Promise<void> {
    const wait = this.lastRoundAt + this.lingerMs - Date.now();
    if (wait <= 0 || this.spool.depth >= this.batchSize || this.emptyWaiters.length > 0) return;
    const w = interruptibleWait(wait);
    this.endLinger = w.end;
    await w.ended;
    this.endLinger = undefined;
  }

  /** Waits `ms`, or less if stopped. */
  private async pause(ms: number): Promise<void> {
    if (this.stopped) return;
    const w = interruptibleWait(ms);
    this.endPause = w.end;
    await w.ended;
    this.endPause = undefined;
  }

  private settleEmptyWaiters(): void {
    if (this.emptyWaiters.length === 0) return;
    if (this.spool.depth > 0 && !this.stopped) return;
    const waiters = this.emptyWaiters;
    this.emptyWaiters = [];
    for (const w of waiters) w();
  }
}
