import { afterEach, describe, expect, it } from '@jest/globals';
import type { Silence } from '../../src/core/index.js';
import type { SilenceStore } from '../../src/storage/index.js';
import { placeKeeper, type Either, type Place } from './contract-helpers.js';

/** A new, empty database per call, which the contract opens more than once (a restart). */
export interface SilenceStoreSubject {
  place(): Promise<Place<{ silences: Either<SilenceStore> }>>;
}

const T = Date.UTC(2026, 11, 1, 12, 0, 0);
const silence = (id: string, from: number, over: Partial<Silence> = {}): Silence => ({
  id, match: { district: 'Xixia' }, from, to: from + 3_600_000, reason: 'street works', createdBy: 'Mei', createdById: 'user-mei', createdAt: T, ...over,
});

/** What every adapter of the silence store must do. Every call is awaited, so the suite runs unchanged against an asynchronous adapter. */
export function silenceStoreContract(name: string, subject: SilenceStoreSubject): void {
  describe(`SilenceStore contract: ${name}`, () => {
    const keeper = placeKeeper(() => subject.place());
    afterEach(() => keeper.cleanup());

    it('keeps silences whole, ordered by their start, until deleted, across a restart', async () => {
      const place = await keeper.place();
      const silences = (await place.open()).silences;
      expect(await silences.list()).toEqual([]);
      const later = silence('s-later', T + 60_000, { match: { ruleId: 'smoke', deviceId: 'smoke-1', type: 'smoke', domain: 'safety' } });
      const sooner = silence('s-sooner', T);
      const old = silence('s-old', T - 60_000, { createdById: undefined });
      expect(await silences.create(later)).toEqual(later);
      await silences.create(sooner);
      await silences.create(old);
      expect((await silences.list()).map((s) => s.id)).toEqual(['s-old', 's-sooner', 's-later']);
      expect(await silences.get('s-later')).toEqual(later);
      expect(await silences.get('s-old')).not.toHaveProperty('createdById');
      expect(await silences.get('nobody')).toBeUndefined();
      expect(await silences.delete('s-sooner')).toBe(true);
      expect(await silences.delete('s-sooner')).toBe(false);
      const again = (await place.open()).silences;
      expect(await again.list()).toEqual([old, later]);
    });
  });
}
