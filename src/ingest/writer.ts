import type { Logger } from '../core/index.js';
import type { ReadingStore } from '../storage/index.js';
import type { IngestMetrics } from './metrics.js';
import type { Spool } from './spool.js';

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5000;

/**
 * Drains the spool into the store, oldest first, one batch at a time: a batch is removed from the spool only
 * after the store confirmed it; on failure it stays and is retried with a doubling back-off.
 */
export class StoreWriter {
  /** False from a failed write until a write succeeds again. */
  storeUp = true;
  /** Readings confirmed by the store (this run). */
  stored = 0;
  private stopped = false;
  private running = false;
  private wakeIdle: (() => void) | undefined;
  private endPause: (() => void) | undefined;
  private pauseTimer: NodeJS.Timeout | undefined;
  private emptyWaiters: Array<() => void> = [];

  constructor(
    private readonly spool: Spool,
    private readonly store: ReadingStore,
    private readonly batchSize: number,
    private readonly log: Logger,
    private readonly metrics: IngestMetrics,
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
    });
  }

  /** Takes no further batch. A write in flight is not awaited: if it completes later, its rows stay spooled
   *  (or are removed, while the spool is still open) and a replay after restart overwrites the same points. */
  stop(): void {
    this.stopped = true;
    this.wake();
    if (this.pauseTimer) clearTimeout(this.pauseTimer);
    this.endPause?.();
    this.settleEmptyWaiters();
  }

  private async run(): Promise<void> {
    let retryMs = RETRY_MIN_MS;
    while (!this.stopped && this.spool.isOpen) {
      let batch;
      try {
        batch = this.spool.oldest(this.batchSize);
      } catch (err) {
        this.log.error({ err }, 'cannot read the spool; retrying');
        await this.pause(RETRY_MAX_MS);
        continue;
      }
      if (batch.readings.length === 0) {
        this.settleEmptyWaiters();
        await new Promise<void>((resolve) => (this.wakeIdle = resolve));
        continue;
      }
      const endTimer = this.metrics.storeWrite.startTimer();
      try {
        await this.store.write(batch.readings);
        endTimer();
      } catch (err) {
        this.metrics.storeWriteFailures.inc();
        if (this.storeUp) this.log.warn({ err, readings: batch.readings.length, spoolDepth: this.spool.depth }, 'store write failed; the batch stays in the spool and is retried');
        this.storeUp = false;
        await this.pause(retryMs);
        retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
        continue;
      }
      if (!this.spool.isOpen) return;
      try {
        this.spool.remove(batch);
      } catch (err) {
        // The store has the batch; it stays spooled and is written again (same points, overwritten).
        this.log.error({ err }, 'cannot remove a stored batch from the spool');
        await this.pause(RETRY_MAX_MS);
        continue;
      }
      this.stored += batch.readings.length;
      this.metrics.stored.inc(batch.readings.length);
      if (!this.storeUp) this.log.info({ spoolDepth: this.spool.depth }, 'store writes succeed again');
      this.storeUp = true;
      retryMs = RETRY_MIN_MS;
    }
    this.settleEmptyWaiters();
  }

  /** Waits `ms`, or less if stopped. */
  private pause(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      this.endPause = () => {
        this.endPause = undefined;
        this.pauseTimer = undefined;
        resolve();
      };
      this.pauseTimer = setTimeout(this.endPause, ms);
    });
  }

  private settleEmptyWaiters(): void {
    if (this.emptyWaiters.length === 0) return;
    if (this.spool.depth > 0 && !this.stopped) return;
    const waiters = this.emptyWaiters;
    this.emptyWaiters = [];
    for (const w of waiters) w();
  }
}
