// Acknowledging or resolving many alerts at once (after a simulator run, a hundred stale alerts): the existing
// per-alert endpoints, a few requests at a time, every outcome kept so partial failures can be reported.
import type { Alert } from '../types.js';

export type BulkAction = 'ack' | 'resolve';

export interface BulkOutcome {
  /** The alerts as the API answered them. */
  done: Alert[];
  /** Those it refused or could not reach, with the reason. */
  failed: { id: number; message: string }[];
}

/** Calls `call` for every id, at most `concurrency` at a time; never rejects. */
export async function runBulk(ids: readonly number[], call: (id: number) => Promise<Alert>, concurrency = 6): Promise<BulkOutcome> {
  const out: BulkOutcome = { done: [], failed: [] };
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++]!;
      try {
        out.done.push(await call(id));
      } catch (e) {
        out.failed.push({ id, message: e instanceof Error ? e.message : String(e) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, worker));
  out.failed.sort((a, b) => a.id - b.id);
  return out;
}

/** The outcome in words: `Acknowledged 142 of 144; 2 failed: #12 (already resolved), #15 (…)`. */
export function describeBulk(action: BulkAction, asked: number, o: BulkOutcome): string {
  const verb = action === 'ack' ? 'Acknowledged' : 'Resolved';
  const head = `${verb} ${o.done.length} of ${asked}`;
  if (!o.failed.length) return head;
  const shown = o.failed.slice(0, 5).map((f) => `#${f.id} (${f.message})`).join(', ');
  return `${head}; ${o.failed.length} failed: ${shown}${o.failed.length > 5 ? ` and ${o.failed.length - 5} more` : ''}`;
}
