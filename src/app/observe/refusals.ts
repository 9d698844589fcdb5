import type { DeadLetter, Logger } from '../../core/index.js';
import type { DeadLetterStore } from '../../storage/index.js';

const TOP_DEVICES = 5;
const MAX_DEVICES = 10_000;

export interface RefusalSummary {
  /** The dead-letter store, wrapped to tally refusals per device (what the summary's top devices come from). */
  wrap(store: DeadLetterStore): DeadLetterStore;
  /** Starts the periodic summary. */
  start(): void;
  /** Stops it, logging what the last (partial) period refused. */
  stop(): void;
}

interface Tally {
  refused: number;
  reasons: Record<string, number>;
}

/**
 * Refused messages summarised at info about once a minute (never a line per message: a misconfigured fleet is
 * refused thousands of times a second): how many per reason (from ingest's counters, so `too_fast` and
 * `spool_full`, which have no dead letter, are in it) and the devices refused most (from the dead letters).
 */
export function refusalSummary(refusedByReason: () => Record<string, number>, log: Logger, intervalMs = 60_000): RefusalSummary {
  let devices = new Map<string | null, Tally>();
  let otherDevices = 0;
  let last: Record<string, number> = {};
  let timer: NodeJS.Timeout | undefined;

  function tally(letters: readonly DeadLetter[]): void {
    for (const l of letters) {
      let t = devices.get(l.deviceId);
      if (!t) {
        if (devices.size >= MAX_DEVICES) { otherDevices++; continue; }
        devices.set(l.deviceId, (t = { refused: 0, reasons: {} }));
      }
      t.refused++;
      t.reasons[l.reason] = (t.reasons[l.reason] ?? 0) + 1;
    }
  }

  function report(): void {
    const now = refusedByReason();
    const refused: Record<string, number> = {};
    let total = 0;
    for (const [reason, n] of Object.entries(now)) {
      const d = n - (last[reason] ?? 0);
      if (d > 0) { refused[reason] = d; total += d; }
    }
    last = now;
    const top = [...devices].sort((a, b) => b[1].refused - a[1].refused).slice(0, TOP_DEVICES)
      .map(([deviceId, t]) => ({ deviceId, refused: t.refused, reasons: t.reasons }));
    const counts = { devices: devices.size, ...(otherDevices > 0 ? { untallied: otherDevices } : {}) };
    devices = new Map();
    otherDevices = 0;
    if (total === 0) return;
    log.info({ periodS: Math.round(intervalMs / 1000), total, refused, ...counts, topDevices: top }, 'messages refused (summary)');
  }

  return {
    wrap(store) {
      return {
        add(letters) {
          store.add(letters);
          tally(letters);
        },
        list: (opts) => store.list(opts),
        purge: (olderThan, keep) => store.purge(olderThan, keep),
        select: (selection, opts) => store.select(selection, opts),
        remove: (ids) => store.remove(ids),
        setReason: (id, reason, detail) => store.setReason(id, reason, detail),
      };
    },
    start() {
      last = refusedByReason();
      timer = setInterval(report, intervalMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      report();
    },
  };
}
