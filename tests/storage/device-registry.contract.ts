import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { AppError } from '../../src/core/index.js';
import type { DeviceRegistry } from '../../src/storage/index.js';
import { failure, type Either } from './contract-helpers.js';

/** A device registry on a new, empty database per test, and how to close it. */
export interface DeviceRegistrySubject {
  open(): Promise<{ devices: Either<DeviceRegistry>; close(): Promise<void> | void }>;
}

/**
 * What every adapter of the device registry (devices and their secrets' hashes) must do. Every call is awaited,
 * so the suite runs unchanged against an adapter whose methods return promises.
 */
export function deviceRegistryContract(name: string, subject: DeviceRegistrySubject): void {
  describe(`DeviceRegistry contract: ${name}`, () => {
    let s: Awaited<ReturnType<DeviceRegistrySubject['open']>>;
    let devices: Either<DeviceRegistry>;
    beforeEach(async () => {
      s = await subject.open();
      devices = s.devices;
    });
    afterEach(async () => { await s.close(); });

    it('creates a device and returns it whole', async () => {
      const d = await devices.create(
        { id: 'w-1', domain: 'healthcare', type: 'wearable', name: 'Ward 3 bed 2', district: 'north', location: { lat: 52.5, lon: 13.4 } },
        'scrypt$hash',
      );
      expect(d).toEqual({
        id: 'w-1', domain: 'healthcare', type: 'wearable', name: 'Ward 3 bed 2', district: 'north',
        location: { lat: 52.5, lon: 13.4 }, createdAt: expect.any(Number), latest: {},
      });
      expect(await devices.get('w-1')).toEqual(d);
      expect(await devices.secretHash('w-1')).toBe('scrypt$hash');
    });

    it('leaves optional fields absent rather than null', async () => {
      const d = await devices.create({ id: 'bare', domain: 'safety', type: 'gas' }, 'h');
      expect(Object.keys(d).sort()).toEqual(['createdAt', 'domain', 'id', 'latest', 'type']);
    });

    it('refuses a duplicate id with a 409 conflict', async () => {
      await devices.create({ id: 'dup', domain: 'safety', type: 'gas' }, 'h1');
      const caught = await failure(() => devices.create({ id: 'dup', domain: 'safety', type: 'smoke' }, 'h2'));
      expect(caught).toBeInstanceOf(AppError);
      expect(caught).toMatchObject({ code: 'conflict', status: 409 });
      expect((await devices.get('dup'))?.type).toBe('gas');
      expect(await devices.secretHash('dup')).toBe('h1');
    });

    it('registers many devices at once, all or none: one id taken (or given twice) keeps every one of them out', async () => {
      await devices.createMany([
        { device: { id: 'm-1', domain: 'transport', type: 'bus', district: 'north' }, secretHash: 'h1' },
        { device: { id: 'm-2', domain: 'transport', type: 'bus', name: 'line 7', location: { lat: 1, lon: 2 } }, secretHash: 'h2' },
      ]);
      expect(await devices.get('m-2')).toEqual({ id: 'm-2', domain: 'transport', type: 'bus', name: 'line 7', location: { lat: 1, lon: 2 }, createdAt: expect.any(Number), latest: {} });
      expect(await devices.secretHash('m-1')).toBe('h1');
      const taken = await failure(() => devices.createMany([
        { device: { id: 'm-3', domain: 'transport', type: 'bus' }, secretHash: 'h' },
        { device: { id: 'm-1', domain: 'safety', type: 'gas' }, secretHash: 'h' },
      ]));
      expect(taken).toMatchObject({ code: 'conflict', status: 409 });
      const twice = await failure(() => devices.createMany([
        { device: { id: 'm-4', domain: 'transport', type: 'bus' }, secretHash: 'h' },
        { device: { id: 'm-4', domain: 'transport', type: 'bus' }, secretHash: 'h' },
      ]));
      expect(twice).toMatchObject({ code: 'conflict', status: 409 });
      expect((await devices.list()).map((d) => d.id)).toEqual(['m-1', 'm-2']);
      expect((await devices.get('m-1'))?.type).toBe('bus');
      await devices.createMany([]);
    });

    it('lists with filters and pages by ascending id', async () => {
      const mk = (id: string, type: string, district?: string) => devices.create({ id, domain: 'transport', type, district }, 'h');
      await mk('c', 'bus', 'south');
      await mk('a', 'bus', 'north');
      await mk('e', 'parking', 'north');
      await mk('b', 'traffic', 'north');
      await mk('d', 'bus', 'north');
      await devices.create({ id: 'z', domain: 'safety', type: 'noise', district: 'north' }, 'h');

      const ids = async (...args: Parameters<DeviceRegistry['list']>) => (await devices.list(...args)).map((d) => d.id);
      expect(await ids()).toEqual(['a', 'b', 'c', 'd', 'e', 'z']);
      expect(await ids({ type: 'bus' })).toEqual(['a', 'c', 'd']);
      expect(await ids({ domain: 'transport', district: 'north' })).toEqual(['a', 'b', 'd', 'e']);
      expect(await ids({ limit: 2 })).toEqual(['a', 'b']);
      expect(await ids({ after: 'b', limit: 2 })).toEqual(['c', 'd']);
      expect(await ids({ type: 'bus', after: 'a' })).toEqual(['c', 'd']);
      expect(await devices.list({ after: 'z' })).toEqual([]);
      expect(await devices.list({ district: "north' OR '1'='1" })).toEqual([]);
    });

    it('deletes a device and its secret', async () => {
      await devices.create({ id: 'gone', domain: 'safety', type: 'gas' }, 'h');
      expect(await devices.delete('gone')).toBe(true);
      expect(await devices.get('gone')).toBeUndefined();
      expect(await devices.secretHash('gone')).toBeUndefined();
      expect(await devices.delete('gone')).toBe(false);
    });

    it('replaces the secret hash of an existing device only', async () => {
      await devices.create({ id: 's', domain: 'safety', type: 'gas' }, 'old');
      expect(await devices.setSecretHash('s', 'new')).toBe(true);
      expect(await devices.secretHash('s')).toBe('new');
      expect(await devices.setSecretHash('nobody', 'x')).toBe(false);
    });

    it('replaces a secret hash only while it is still the expected one', async () => {
      await devices.create({ id: 'u', domain: 'safety', type: 'gas' }, 'scrypt$old');
      expect(await devices.replaceSecretHash('u', 'scrypt$other', 'keyed')).toBe(false);
      expect(await devices.secretHash('u')).toBe('scrypt$old');
      expect(await devices.replaceSecretHash('u', 'scrypt$old', 'keyed')).toBe(true);
      expect(await devices.secretHash('u')).toBe('keyed');
      expect(await devices.replaceSecretHash('nobody', 'scrypt$old', 'keyed')).toBe(false);
    });

    it('counts the stored secret hashes by scheme', async () => {
      expect(await devices.secretSchemes()).toEqual({});
      await devices.create({ id: 'k1', domain: 'safety', type: 'gas' }, 'hmac-sha256$abc');
      await devices.create({ id: 'k2', domain: 'safety', type: 'gas' }, 'hmac-sha256$def');
      await devices.create({ id: 's1', domain: 'safety', type: 'gas' }, 'scrypt$16384$8$1$s$h');
      await devices.create({ id: 'x1', domain: 'safety', type: 'gas' }, 'odd');
      expect(await devices.secretSchemes()).toEqual({ 'hmac-sha256': 2, scrypt: 1, odd: 1 });
    });

    it('records lastSeen and latest values for many devices at once, never moving backwards', async () => {
      await devices.create({ id: 'cc-1', domain: 'healthcare', type: 'cold_chain' }, 'h');
      await devices.create({ id: 'cc-2', domain: 'healthcare', type: 'cold_chain' }, 'h');
      await devices.recordSeen([
        { id: 'cc-1', lastSeen: 2000, latest: { temp: { v: 4.5, t: 1900 }, door_open: { v: false, t: 1900 } } },
        { id: 'cc-2', lastSeen: 1000, latest: { temp: { v: 5, t: 900 } } },
        { id: 'not-registered', lastSeen: 1000, latest: { temp: { v: 5, t: 900 } } },
      ]);
      // An older batch arriving late (spool replay) must not undo newer state, but adds what is new.
      await devices.recordSeen([
        { id: 'cc-1', lastSeen: 1500, latest: { temp: { v: 9, t: 1400 }, door_open: { v: true, t: 1950 } } },
        { id: 'cc-2', lastSeen: 3000, latest: { temp: { v: 6, t: 2900 } } },
      ]);
      expect(await devices.get('cc-1')).toMatchObject({ lastSeen: 2000, latest: { temp: { v: 4.5, t: 1900 }, door_open: { v: true, t: 1950 } } });
      expect(await devices.get('cc-2')).toMatchObject({ lastSeen: 3000, latest: { temp: { v: 6, t: 2900 } } });
      expect(await devices.get('not-registered')).toBeUndefined();
      expect((await devices.list()).map((d) => d.lastSeen)).toEqual([2000, 3000]);
    });

    // Goodbyes are device status's: kept with the device (they were the alert watermark's).
    it('keeps a goodbye until a return clears it, and leaves lastSeen and latest values alone when a change has none', async () => {
      await devices.create({ id: 'cc-1', domain: 'healthcare', type: 'cold_chain' }, 'h');
      await devices.create({ id: 'cc-2', domain: 'healthcare', type: 'cold_chain' }, 'h');
      await devices.recordSeen([{ id: 'cc-1', lastSeen: 2000, latest: { temp: { v: 4.5, t: 1900 } } }, { id: 'cc-2', lastSeen: 1000, latest: {} }]);
      await devices.recordSeen([{ id: 'cc-1', leftAt: 2100, latest: {} }, { id: 'cc-2', leftAt: 1100, latest: {} }]);
      expect(await devices.get('cc-1')).toMatchObject({ lastSeen: 2000, latest: { temp: { v: 4.5, t: 1900 } }, leftAt: 2100 });
      await devices.recordSeen([{ id: 'cc-2', leftAt: null, latest: {} }, { id: 'cc-1', lastSeen: 2050, latest: {} }]); // cc-2 back; cc-1 unchanged
      expect((await devices.list()).map((d) => [d.id, d.lastSeen, d.leftAt])).toEqual([['cc-1', 2050, 2100], ['cc-2', 1000, undefined]]);
    });
  });
}
