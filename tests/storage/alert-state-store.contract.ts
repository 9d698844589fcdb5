import { afterEach, describe, expect, it } from '@jest/globals';
import type { AlertStateStore, DeviceWatermark, PendingState } from '../../src/storage/index.js';
import { placeKeeper, type Either, type Place } from './contract-helpers.js';

/** A new, empty database per call, which the contract opens more than once (a restart). */
export interface AlertStateStoreSubject {
  place(): Promise<Place<{ state: Either<AlertStateStore> }>>;
}

const T = Date.UTC(2026, 11, 1, 9, 0, 0);
const pending = (ruleId: string, deviceId: string, over: Partial<PendingState> = {}): PendingState => ({
  ruleId, deviceId, since: T, value: 35, lastAt: T + 100, dueAt: T + 5000, ...over,
});
const mark = (deviceId: string, over: Partial<DeviceWatermark> = {}): DeviceWatermark => ({
  deviceId, domain: 'safety', type: 'gas', district: 'Xixia', lastTs: T, registered: true, ...over,
});
const byKey = <X extends { ruleId?: string; deviceId: string }>(list: X[]) => [...list].sort((a, b) => `${a.ruleId ?? ''}/${a.deviceId}`.localeCompare(`${b.ruleId ?? ''}/${b.deviceId}`));

/**
 * What every adapter of the alert engine's own state must do: the pending `for` conditions, the per-device
 * watermarks and the holds of pairs resolved by hand, one per key, kept across a restart. Every call is awaited,
 * so the suite runs unchanged against an adapter whose methods return promises.
 */
export function alertStateStoreContract(name: string, subject: AlertStateStoreSubject): void {
  describe(`AlertStateStore contract: ${name}`, () => {
    const keeper = placeKeeper(() => subject.place());
    afterEach(() => keeper.cleanup());

    it('keeps one pending condition per (rule, device), the newest written, until it is deleted', async () => {
      const place = await keeper.place();
      const first = (await place.open()).state;
      expect(await first.pending()).toEqual([]);
      await first.putPending(pending('methane', 'gas-1'));
      await first.putPending(pending('methane', 'gas-1', { value: 40, lastAt: T + 200 })); // the same pair: replaced
      await first.putPendings([pending('methane', 'gas-2'), pending('smoke', 'gas-1', { dueAt: T + 9000 })]);
      await first.putPendings([]);
      expect(byKey(await first.pending())).toEqual([pending('methane', 'gas-1', { value: 40, lastAt: T + 200 }), pending('methane', 'gas-2'), pending('smoke', 'gas-1', { dueAt: T + 9000 })]);
      await first.deletePending('methane', 'gas-2');
      await first.deletePending('methane', 'nobody');
      const again = (await place.open()).state; // a second opener: what the first wrote is there
      expect(byKey(await again.pending())).toEqual([pending('methane', 'gas-1', { value: 40, lastAt: T + 200 }), pending('smoke', 'gas-1', { dueAt: T + 9000 })]);
    });

    // lastSeen and goodbyes are device status's (the registry's devices table), not the watermark's.
    it('keeps one watermark per device, the newest written, until it is deleted', async () => {
      const place = await keeper.place();
      const state = (await place.open()).state;
      await state.putWatermarks([mark('gas-1'), mark('gas-2', { district: null, registered: false })]);
      await state.putWatermarks([mark('gas-1', { lastTs: T + 1000 }), mark('gas-3')]);
      await state.putWatermarks([]);
      await state.deleteWatermark('gas-3');
      await state.deleteWatermark('nobody');
      const again = (await place.open()).state;
      expect(byKey(await again.watermarks())).toEqual([mark('gas-1', { lastTs: T + 1000 }), mark('gas-2', { district: null, registered: false })]);
      await again.putWatermarks([mark('gas-2', { registered: true })]); // the same device: replaced
      expect((await again.watermarks()).find((m) => m.deviceId === 'gas-2')).toEqual(mark('gas-2', { registered: true }));
    });

    it('keeps a hold once however often it is put, until it is deleted', async () => {
      const place = await keeper.place();
      const state = (await place.open()).state;
      await state.putHold('carbon-monoxide', 'gas-1');
      await state.putHold('carbon-monoxide', 'gas-1');
      await state.putHold('smoke', 'gas-1');
      await state.putHold('carbon-monoxide', 'gas-2');
      await state.deleteHold('carbon-monoxide', 'gas-2');
      await state.deleteHold('smoke', 'nobody');
      const again = (await place.open()).state;
      expect(byKey(await again.holds())).toEqual([{ ruleId: 'carbon-monoxide', deviceId: 'gas-1' }, { ruleId: 'smoke', deviceId: 'gas-1' }]);
    });
  });
}
