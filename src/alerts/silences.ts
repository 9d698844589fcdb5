import { matches, type Silence } from '../core/index.js';
import type { MatchedDevice } from './evaluate.js';

/** The fields of an alert a silence can match on: its rule and its device's. */
export interface Silenceable extends MatchedDevice {
  ruleId: string;
}

/** True when the silence is in force at `at` and every field it names equals the alert's. */
export function silences(s: Silence, a: Silenceable, at: number): boolean {
  return at >= s.from && at < s.to && matches(s.match, a);
}

/** The silences not yet expired, in memory: checked on every firing without a query. */
export function createSilenceBook(initial: readonly Silence[]) {
  let list = [...initial];
  return {
    covers: (a: Silenceable, at: number) => list.some((s) => silences(s, a, at)),
    add(s: Silence) { list.push(s); },
    remove(id: string) { list = list.filter((s) => s.id !== id); },
    /** Forgets expired silences. */
    prune(at: number) { list = list.filter((s) => s.to > at); },
    /** The next moment one ends, or undefined. */
    nextEnd(at: number): number | undefined {
      let next: number | undefined;
      for (const s of list) if (s.to > at && (next === undefined || s.to < next)) next = s.to;
      return next;
    },
  };
}
export type SilenceBook = ReturnType<typeof createSilenceBook>;
