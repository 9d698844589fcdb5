import { deadLetterPayload, REFUSAL_REASONS, type DeadLetter, type Logger, type RefusalReason, type RefusedMessage } from '../core/index.js';
import type { DeadLetterStore } from '../storage/index.js';
import type { GroupCommit } from './group-commit.js';
import type { IngestMetrics } from './metrics.js';
import type { Done } from './types.js';

/** Refused messages: counted by reason (stats, Prometheus) and, when they have one, dead-lettered with the turn's batch. */
export class Refusals {
  /** Per reason, every reason present. */
  readonly counts: Record<string, number> = Object.fromEntries(REFUSAL_REASONS.map((r) => [r, 0]));

  constructor(
    private readonly metrics: IngestMetrics,
    private readonly log: Logger,
    private readonly deadLetters: DeadLetterStore,
    private readonly commit: GroupCommit,
    /** True once the ingest is closed: nothing commits any more. */
    private readonly closed: () => boolean,
  ) {}

  /** Counts a refusal by its reason. */
  count(reason: RefusalReason): void {
    this.counts[reason] = (this.counts[reason] ?? 0) + 1;
    this.metrics.refused.inc({ reason });
  }

  /** Counts a refusal and queues its dead letter (written with the turn's batch); `done` is answered (refused) after it. */
  deadLetter(msg: RefusedMessage, reason: RefusalReason, detail: string, done?: Done): void {
    this.count(reason);
    this.log.debug({ deviceId: msg.deviceId, topic: msg.topic, reason, detail }, 'message refused');
    const letter: DeadLetter = { receivedAt: msg.receivedAt, deviceId: msg.deviceId, topic: msg.topic, reason, detail, payload: deadLetterPayload(msg.payload) };
    if (this.closed()) {
      // Nothing flushes any more: write it now, as well as a closing store allows.
      try {
        this.deadLetters.add([letter]);
      } catch (err) {
        this.log.warn({ err }, 'cannot write a dead letter while closing');
      }
      done?.(undefined, true);
      return;
    }
    this.commit.current.refuse(letter, done);
    this.commit.schedule();
  }
}
