import { afterEach, describe, expect, it } from '@jest/globals';
import type { InstallationStore } from '../../src/storage/index.js';
import { placeKeeper, type Either, type Place } from './contract-helpers.js';

/** A new, empty database per call, which the contract opens more than once. */
export interface InstallationStoreSubject {
  place(): Promise<Place<{ installation: Either<InstallationStore> }>>;
}

/**
 * What every adapter of the installation values must do: the device-secret key is made once per database and is
 * the same for every opener (every node that shares the database). Every call is awaited, so the suite runs
 * unchanged against an adapter whose methods return promises.
 */
export function installationStoreContract(name: string, subject: InstallationStoreSubject): void {
  describe(`InstallationStore contract: ${name}`, () => {
    const keeper = placeKeeper(() => subject.place());
    afterEach(() => keeper.cleanup());

    it('makes the device secret key once (32 random bytes) and gives the same one after a reopen', async () => {
      const place = await keeper.place();
      const first = await place.open();
      const key = await first.installation.deviceSecretKey();
      expect(key).toBeInstanceOf(Buffer);
      expect(key.length).toBe(32);
      expect((await first.installation.deviceSecretKey()).equals(key)).toBe(true);
      await first.close();
      const again = await place.open();
      expect((await again.installation.deviceSecretKey()).equals(key)).toBe(true);
    });

    it('keeps the key in the database itself: a second opener of the same database (another node) reads the same key, and another database has its own', async () => {
      const place = await keeper.place();
      const one = await place.open();
      const other = await place.open(); // opened before the first has made its key
      const elsewhere = await (await keeper.place()).open();
      const key = await other.installation.deviceSecretKey();
      expect((await one.installation.deviceSecretKey()).equals(key)).toBe(true);
      expect((await elsewhere.installation.deviceSecretKey()).equals(key)).toBe(false);
    });
  });
}
