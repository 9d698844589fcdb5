import type { Logger } from '../core/index.js';
import type { ReadingSink } from '../storage/index.js';
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

/** What a sink writer reports, for the sink's metrics. */
export interface SinkEvents {
  /** `n` readings were confirmed and the sink moved past them. */
  confirmed(n: number): void;
  /** A batch write failed (it is kept and retried). */
  failed(): void;
}

/**
 * Drains the spool into one sink (the store, the event stream …), oldest first from the sink's own position, a few
 * batches at a time: the sink moves past a batch only after it confirmed it and every batch before it; on failure
 * the batch is retried with a doubling back-off. Each sink has its own writer, so a slow one holds up only itself.
 */
export class SinkWriter {
  /** False from a failed write until a write succeeds again. */
  up = true;
  /** Readings the sink confirmed (this run). */
  written = 0;
  private stopped = false;
  private running = false;
  private wakeIdle: (() => void) | undefined;
  private endLinger: (() => void) | undefined;
  private lastRoundAt = 0;
  private endPause: (() => void) | undefined;
  private emptyWaiters: Array<() => void> = [];
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly lingerMs: number;

  constructor(
    private readonly spool: Spool,
    /** This sink's index in the spool's `sinks`. */
    private readonly index: number,
    private readonly sink: ReadingSink,
    private readonly log: Logger,
    private readonly events: SinkEvents,
  ) {
    this.batchSize = sink.batchSize ?? 5000;
    this.concurrency = sink.concurrency ?? 1;
    this.lingerMs = sink.lingerMs ?? 0;
  }

  /** Readings this sink has still to deliver. */
  get lag(): number {
    return this.spool.isOpen ? this.spool.pending(this.index) : 0;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.run().catch((err: unknown) => this.log.error({ err, sink: this.sink.name }, `the ${this.sink.name} writer stopped on an unexpected error`));
  }

  /** New readings are in the spool: an idle writer looks again (a backing-off one keeps its pause). */
  wake(): void {
    const w = this.wakeIdle;
    this.wakeIdle = undefined;
    w?.();
    if (this.lag >= this.batchSize) this.endLinger?.();
  }

  /** Resolves once this sink has delivered everything spooled, or at `deadline` (epoch ms), whichever comes first. */
  whenEmpty(deadline: number): Promise<void> {
    if (this.lag === 0 || this.stopped) return Promise.resolve();
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
        for (let after = this.spool.position(this.index); batches.length < this.concurrency; ) {
          const b = this.spool.oldest(this.batchSize, after);
          if (b.readings.length === 0) break;
          batches.push(b);
          after = b.lastId;
        }
      } catch (err) {
        this.log.error({ err, sink: this.sink.name }, 'cannot read the spool; retrying');
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
      // What the sink confirmed, up to the first failure, it moves past; the rest is written again later
      // (a store overwrites points with themselves, the stream drops a republish by its message id).
      let ok = 0;
      while (ok < results.length && results[ok]!.status === 'fulfilled') ok++;
      const confirmed = batches.slice(0, ok);
      if (confirmed.length > 0 && this.spool.isOpen) {
        try {
          this.spool.confirm(this.index, confirmed);
        } catch (err) {
          // The sink has the batches; it keeps its position and delivers them again (idempotent).
          this.log.error({ err, sink: this.sink.name }, 'cannot record delivered batches in the spool');
          await this.pause(RETRY_MAX_MS);
          continue;
        }
        const n = confirmed.reduce((sum, b) => sum + b.readings.length, 0);
        this.written += n;
        this.events.confirmed(n);
      }
      if (!this.spool.isOpen) return;
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) {
        this.events.failed();
        if (this.up) {
          this.log.warn({ err: failed.reason, sink: this.sink.name, readings: batches[ok]!.readings.length, lag: this.lag, spoolDepth: this.spool.depth },
            `${this.sink.name} write failed; the batch stays in the spool and is retried`);
        }
        this.up = false;
        await this.pause(retryMs);
        retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
        continue;
      }
      if (!this.up) this.log.info({ sink: this.sink.name, lag: this.lag, spoolDepth: this.spool.depth }, `${this.sink.name} writes succeed again`);
      this.up = true;
      retryMs = RETRY_MIN_MS;
      // A store that writes synchronously (SQLite) would otherwise drain a backlog batch after batch in one
      // event-loop turn, holding up every PUBACK and alert meanwhile: let the loop turn between rounds.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.settleEmptyWaiters();
  }

  private write(batch: SpoolBatch): Promise<void> {
    return this.sink.write(batch.readings);
  }

  /**
   * Under a light load every group commit would become its own sink write: an HTTP request and a WAL fsync in
   * InfluxDB, and a spool DELETE, for a few hundred readings. Until a full batch waits, rounds start at most every
   * `lingerMs` (the readings are durable in the spool meanwhile); a full batch, stop() or a drain ends the wait.
   */
  private async linger(): Promise<void> {
    const wait = this.lastRoundAt + this.lingerMs - Date.now();
    if (wait <= 0 || this.lag >= this.batchSize || this.emptyWaiters.length > 0) return;
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
    if (this.lag > 0 && !this.stopped) return;
    const waiters = this.emptyWaiters;
    this.emptyWaiters = [];
    for (const w of waiters) w();
  }
}
