import { afterEach, describe, expect, it } from '@jest/globals';
import type { PositionStore } from '../../src/storage/index.js';
import { placeKeeper, type Either, type Place } from './contract-helpers.js';

/** A new, empty database per call, which the contract opens more than once. */
export interface PositionStoreSubject {
  place(): Promise<Place<{ positions: Either<PositionStore> }>>;
}

/**
 * What every adapter of the named positions must do (the event stream keeps its last published eventId there).
 * Every call is awaited, so the suite runs unchanged against an adapter whose methods return promises.
 */
export function positionStoreContract(name: string, subject: PositionStoreSubject): void {
  describe(`PositionStore contract: ${name}`, () => {
    const keeper = placeKeeper(() => subject.place());
    afterEach(() => keeper.cleanup());

    it('keeps one value per name, replaced by each set, across a reopen', async () => {
      const place = await keeper.place();
      const first = await place.open();
      expect(await first.positions.get('stream:alerts')).toBeUndefined();
      await first.positions.set('stream:alerts', 41);
      await first.positions.set('stream:alerts', 42);
      await first.positions.set('webhook:alerts', 7);
      expect(await first.positions.get('stream:alerts')).toBe(42);
      await first.close();
      const again = await place.open();
      expect([await again.positions.get('stream:alerts'), await again.positions.get('webhook:alerts'), await again.positions.get('other')]).toEqual([42, 7, undefined]);
      // Large sequence numbers come back exactly.
      await again.positions.set('stream:alerts', 2 ** 53 - 1);
      expect(await again.positions.get('stream:alerts')).toBe(2 ** 53 - 1);
    });
  });
}
