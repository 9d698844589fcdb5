// Silences at work: creating and deleting them, and when one ends, announcing the open alerts it covered.
import { randomUUID } from 'node:crypto';
import { AppError, notFound, type Credit, type Silence } from '../core/index.js';
import { MAX_TIMER_MS, type EngineState } from './state.js';
import { apply, guarded, SYSTEM } from './transitions.js';
import type { SilenceInput } from './types.js';

/** Open alerts recorded silenced that no silence covers any more get an `unsilenced` transition (pushed as fired or acknowledged). */
export function endSilences(s: EngineState): void {
  const t = s.now();
  s.book.prune(t);
  for (const a of [...s.open.values()]) {
    if (!a.silenced || s.book.covers(a, t)) continue;
    guarded(s, 'ending a silence', () => {
      apply(s, a, { ...a, silenced: false }, { kind: 'unsilenced', at: t, value: a.lastValue, actor: SYSTEM }, a.state === 'firing' ? 'fired' : 'acknowledged');
    });
  }
}

/** Sets the one timer for the next silence to end (none while stopped). */
export function scheduleSilenceEnd(s: EngineState): void {
  if (s.silenceTimer) clearTimeout(s.silenceTimer);
  s.silenceTimer = undefined;
  if (!s.started) return;
  const t = s.now();
  const next = s.book.nextEnd(t);
  if (next === undefined) return;
  s.silenceTimer = setTimeout(() => {
    endSilences(s);
    scheduleSilenceEnd(s);
  }, Math.min(next - t + 1, MAX_TIMER_MS));
  s.silenceTimer.unref();
}

export function createSilence(s: EngineState, input: SilenceInput, by: Credit): Silence {
  if (input.match.ruleId !== undefined && !s.compiled.has(input.match.ruleId)) {
    throw new AppError('bad_request', `body match.ruleId: no rule ${input.match.ruleId}`);
  }
  const silence: Silence = { id: randomUUID(), match: input.match, from: input.from, to: input.to, reason: input.reason, createdBy: by.name, createdById: by.id, createdAt: s.now() };
  s.store.silences.create(silence);
  s.book.add(silence);
  scheduleSilenceEnd(s);
  return silence;
}

export function deleteSilence(s: EngineState, id: string): void {
  if (!s.store.silences.delete(id)) throw notFound(`silence ${id}`);
  s.book.remove(id);
  endSilences(s);
  scheduleSilenceEnd(s);
}
