import { AppError, type Logger, type RefusalReason } from '../core/index.js';
import { IngestUnavailableError, type Ingest } from '../ingest/index.js';
import type { DeadLetterSelection, DeadLetterStore, DeviceRegistry, StoredDeadLetter } from '../storage/index.js';

export interface DeadLetterReplayDeps {
  deadLetters: DeadLetterStore;
  registry: Pick<DeviceRegistry, 'get'>;
  ingest: Pick<Ingest, 'replay'>;
  log: Logger;
}

export interface DeadLetterReplayResult {
  /** Letters that passed validation now: their readings are stored and the letters are gone. */
  replayed: number;
  /** Readings those letters held. */
  readings: number;
  /** Letters still refused, by their (possibly new) reason. */
  stillRefused: Partial<Record<RefusalReason, number>>;
}

/** Letters per page: one spool commit each (their replays are taken in one turn). */
const PAGE = 500;
const TOPIC = /^city\/([^/]+)\/([^/]+)\/([^/]+)$/;

/**
 * Replays dead letters (docs/contract.md 10): each chosen letter's message goes through validation again, under the
 * device's registration as it is now. Those that pass are stored at their own timestamps (and evaluated for alerts
 * as late data) and leave the dead letters; the others stay, with the reason they are refused for now. Idempotent:
 * a letter leaves only once its readings are durable, and the same readings land on the same points.
 */
export function createDeadLetterReplay(deps: DeadLetterReplayDeps) {
  const { deadLetters, registry, ingest, log } = deps;

  /** The message a letter held, or why it cannot be replayed as it is now (the letter stays). */
  function messageOf(l: StoredDeadLetter) {
    // A duplicate's new readings were kept when it came; what it repeated is stored already.
    if (l.reason === 'duplicate' || l.deviceId === null) return { refused: l.reason, detail: l.detail };
    const topic = TOPIC.exec(l.topic);
    if (!topic) return { refused: l.reason, detail: l.detail };
    const device = registry.get(l.deviceId);
    if (!device) return { refused: 'unknown_device' as const, detail: `device ${l.deviceId} is not registered` };
    const [, domain, type, id] = topic;
    if (id !== device.id || domain !== device.domain || type !== device.type) {
      return { refused: 'not_authorized' as const, detail: `topic ${l.topic} is not that of device ${device.id} (registered as ${device.domain}/${device.type})` };
    }
    return { msg: { deviceId: device.id, domain, type, topic: l.topic, payload: Buffer.from(l.payload), qos: 1 as const, receivedAt: l.receivedAt } };
  }

  return async function replay(selection: DeadLetterSelection): Promise<DeadLetterReplayResult> {
    const result: DeadLetterReplayResult = { replayed: 0, readings: 0, stillRefused: {} };
    const refused = (l: StoredDeadLetter, reason: RefusalReason, detail: string) => {
      result.stillRefused[reason] = (result.stillRefused[reason] ?? 0) + 1;
      if (reason !== l.reason || detail !== l.detail) deadLetters.setReason(l.id, reason, detail);
    };
    for (let after = 0; ;) {
      const page = deadLetters.select(selection, { after, limit: PAGE });
      if (page.length === 0) break;
      after = page[page.length - 1]!.id;
      const stored: number[] = [];
      await Promise.all(page.map(async (l) => {
        // Spool full or stopping: what was stored stays stored, its letters stay too, and a later replay lands on the same points.
        const m = messageOf(l);
        if (!m.msg) return refused(l, m.refused, m.detail);
        const outcome = await ingest.replay(m.msg).catch((err: unknown) => {
          if (err instanceof IngestUnavailableError) throw new AppError('unavailable', `dead letters cannot be replayed now: ${err.message}`, 503);
          throw err;
        });
        if ('refused' in outcome) return refused(l, outcome.refused, outcome.detail);
        stored.push(l.id);
        result.readings += outcome.stored;
      }));
      // Only now, with every reading of the page durable in the spool, do the letters go.
      deadLetters.remove(stored);
      result.replayed += stored.length;
    }
    log.info({ selection, ...result }, 'dead letters replayed');
    return result;
  };
}

export type DeadLetterReplay = ReturnType<typeof createDeadLetterReplay>;
