import type { InboundMessage, Logger, Reading } from '../core/index.js';
import type { GroupCommit } from './group-commit.js';
import type { Refusals } from './refusals.js';
import { rowBytes, type Spool } from './spool.js';
import { IngestUnavailableError } from './types.js';

export interface AdmissionDeps {
  log: Logger;
  spool: () => Spool;
  /** SPOOL_MAX_MB in bytes. */
  spoolMaxBytes: number;
  commit: GroupCommit;
  refusals: Refusals;
  /** The store's and the sinks' state, for the spool-full warning. */
  sinkState: () => { storeUp: boolean; sinks: Record<string, number> };
}

/** The spool's bound on what is taken: past SPOOL_MAX_MB, QoS 1/2 publishes are refused (done(err)) until it drains. */
export class Admission {
  /** Publishes refused since the spool last filled (0: not full). */
  private refusedWhileFull = 0;

  constructor(private readonly deps: AdmissionDeps) {}

  /** True while publishes are refused for a full spool (its bytes may be just under the bound: the next did not fit). */
  get full(): boolean {
    return this.refusedWhileFull > 0;
  }

  /**
   * Adds a message's valid readings to this turn's commit (done() once durable); false, with done(err), when the
   * spool is full.
   */
  admit(msg: InboundMessage, readings: readonly Reading[], done: (err?: Error) => void): boolean {
    const { commit, log, spoolMaxBytes } = this.deps;
    const spool = this.deps.spool();
    let bytes = 0;
    // The payload's size, shared out, stands for each reading's values in the estimate: no serialising on the hot path.
    const share = Math.ceil(msg.payload.length / readings.length);
    for (const reading of readings) bytes += rowBytes(reading, share);
    if (spool.bytes + commit.current.bytes + bytes > spoolMaxBytes) {
      this.deps.refusals.count('spool_full');
      // Logged when it starts and when it ends, not per publish: a full spool refuses thousands a second.
      if (this.refusedWhileFull++ === 0) {
        log.warn({ spoolBytes: spool.bytes, spoolMaxBytes, ...this.deps.sinkState() }, 'spool full (SPOOL_MAX_MB): QoS 1/2 publishes are refused until the store catches up');
      }
      done(new IngestUnavailableError('spool_full', `spool full (${spool.bytes} of ${spoolMaxBytes} bytes)`));
      return false;
    }
    if (this.refusedWhileFull > 0) {
      log.info({ refused: this.refusedWhileFull, spoolBytes: spool.bytes }, 'spool below its bound again: publishes are accepted');
      this.refusedWhileFull = 0;
    }
    commit.current.take(readings, bytes, done);
    commit.schedule();
    return true;
  }
}
