import type { DeadLetter, Reading } from '../core/index.js';
import type { Done } from './types.js';

/** A seq taken this turn, remembered at once (a resend in the same turn is a duplicate), forgotten if the commit fails. */
export interface TurnSeq {
  deviceId: string;
  seq: number;
  /** The device time it came with; NaN when none. */
  time: number;
}

/**
 * What one event-loop turn gathered for its group commit: the readings taken with each sender's answer and the
 * seqs they carried, and the turn's dead letters with the answers that wait for them.
 */
export class TurnBatch {
  readonly readings: Reading[] = [];
  /** One per message taken (in order), answered once its readings are durable, or with the commit's error. */
  readonly done: Array<(err?: Error) => void> = [];
  /** The spool's estimate of `readings`' size (what the spool's bound counts). */
  bytes = 0;
  readonly seqs: TurnSeq[] = [];
  readonly letters: DeadLetter[] = [];
  /** Senders of refused messages, answered (refused) once the letters are written. */
  readonly lettersDone: Done[] = [];

  /** Messages taken: each has one answer. */
  get messages(): number {
    return this.done.length;
  }

  /** A message's readings (`bytes`: their estimate), answered through `done` after the commit. */
  take(readings: readonly Reading[], bytes: number, done: (err?: Error) => void): void {
    for (const reading of readings) this.readings.push(reading);
    this.bytes += bytes;
    this.done.push(done);
  }

  /** A dead letter, written with the batch; `done` (when given) is answered once it is. */
  refuse(letter: DeadLetter, done?: Done): void {
    this.letters.push(letter);
    if (done) this.lettersDone.push(done);
  }
}
