import { afterEach, describe, expect, it } from '@jest/globals';
import type { DeadLetter } from '../../src/core/index.js';
import type { DeadLetterStore } from '../../src/storage/index.js';
import type { Either } from './contract-helpers.js';

/** The bound an adapter is opened with (absent: its defaults, 100k letters and 256 MiB of payloads). */
export interface DeadLetterBound {
  maxRows?: number;
  maxBytes?: number;
}

/** A dead-letter store on a new, empty database per call, and how to close it. */
export interface DeadLetterStoreSubject {
  open(bound?: DeadLetterBound): Promise<{ deadLetters: Either<DeadLetterStore>; close(): Promise<void> | void }>;
}

/**
 * What every adapter of the dead-letter store must do, its bound included. Every call is awaited, so the suite
 * runs unchanged against an adapter whose methods return promises.
 */
export function deadLetterStoreContract(name: string, subject: DeadLetterStoreSubject): void {
  describe(`DeadLetterStore contract: ${name}`, () => {
    const opened: Array<{ close(): Promise<void> | void }> = [];
    afterEach(async () => {
      while (opened.length) await opened.pop()!.close();
    });
    async function open(bound?: DeadLetterBound): Promise<Either<DeadLetterStore>> {
      const s = await subject.open(bound);
      opened.push(s);
      return s.deadLetters;
    }
    /** Every letter kept, newest first. */
    const everything = async (store: Either<DeadLetterStore>) => store.list({ limit: 1_000_000 });

    describe('listing and purging', () => {
      const letter = (i: number, reason: DeadLetter['reason'] = 'out_of_range'): DeadLetter => ({
        receivedAt: 1_000 + i, deviceId: i % 2 ? `d${i}` : null, topic: `city/safety/gas/d${i}`, reason, detail: `detail ${i}`, payload: `{"co":${i}}`,
      });

      it('lists newest first, filters by reason and pages with before', async () => {
        const dl = await open();
        await dl.add([letter(1), letter(2, 'malformed_json'), letter(3), letter(4, 'malformed_json'), letter(5)]);
        const all = await dl.list({ limit: 10 });
        expect(all.map((l) => l.detail)).toEqual(['detail 5', 'detail 4', 'detail 3', 'detail 2', 'detail 1']);
        expect(all[0]).toEqual({ id: expect.any(Number), ...letter(5) });
        expect(all[1]!.deviceId).toBeNull();

        const firstPage = await dl.list({ limit: 2 });
        const secondPage = await dl.list({ limit: 2, before: firstPage[1]!.id });
        expect(secondPage.map((l) => l.detail)).toEqual(['detail 3', 'detail 2']);

        expect((await dl.list({ limit: 10, reason: 'malformed_json' })).map((l) => l.detail)).toEqual(['detail 4', 'detail 2']);
        expect((await dl.list({ limit: 1, reason: 'malformed_json', before: all[1]!.id })).map((l) => l.detail)).toEqual(['detail 2']);
        expect(await dl.list({ limit: 10, reason: 'bad_unit' })).toEqual([]);
      });

      it('purges by age and keeps at most the newest N', async () => {
        const dl = await open();
        await dl.add(Array.from({ length: 10 }, (_, i) => letter(i + 1)));
        // older than 1003 → letters 1 and 2 go; then keep the newest 5 of the 8 left → 3 more go.
        expect(await dl.purge(1003, 5)).toBe(5);
        expect((await dl.list({ limit: 100 })).map((l) => l.receivedAt)).toEqual([1010, 1009, 1008, 1007, 1006]);
        expect(await dl.purge(0, 100)).toBe(0);
        expect(await dl.purge(0, 0)).toBe(5);
        // ids are not reused after a purge, so old cursors stay meaningful
        const before = await dl.list({ limit: 1 });
        expect(before).toEqual([]);
        await dl.add([letter(11)]);
        expect((await dl.list({ limit: 1 }))[0]!.id).toBeGreaterThan(10);
      });
    });

    describe('what a replay needs', () => {
      const letter = (i: number, extra: Partial<DeadLetter> = {}): DeadLetter => ({
        receivedAt: 5_000 + i, deviceId: `r${i % 2}`, topic: `city/safety/gas/r${i % 2}`, reason: 'unknown_metric', detail: `detail ${i}`, payload: `{"co":${i}}`, ...extra,
      });

      it('selects oldest first by reason, device and receive time, a page at a time after an id', async () => {
        const dl = await open();
        await dl.add([letter(1), letter(2), letter(3, { reason: 'out_of_range' }), letter(4), letter(5)]);
        const details = async (...args: Parameters<DeadLetterStore['select']>) => (await dl.select(...args)).map((l) => l.detail);
        expect(await details({ reason: 'unknown_metric', from: 5_001, to: 5_006 }, { after: 0, limit: 100 })).toEqual(['detail 1', 'detail 2', 'detail 4', 'detail 5']);
        expect(await details({ deviceId: 'r1', from: 5_001, to: 5_006 }, { after: 0, limit: 100 })).toEqual(['detail 1', 'detail 3', 'detail 5']);
        expect(await details({ from: 5_002, to: 5_004 }, { after: 0, limit: 100 })).toEqual(['detail 2', 'detail 3']);
        const page = await dl.select({ reason: 'unknown_metric', from: 5_001 }, { after: 0, limit: 2 });
        expect(await details({ reason: 'unknown_metric', from: 5_001 }, { after: page[1]!.id, limit: 2 })).toEqual(['detail 4', 'detail 5']);
      });

      it('removes letters and gives one a new reason', async () => {
        const dl = await open();
        await dl.add([letter(11), letter(12)]);
        const [a, b] = await dl.select({ from: 5_011, to: 5_013 }, { after: 0, limit: 10 });
        await dl.remove([a!.id, 999_999]);
        await dl.setReason(b!.id, 'out_of_range', 'co 9999 is above 2000');
        expect(await dl.select({ from: 5_011, to: 5_013 }, { after: 0, limit: 10 })).toEqual([
          { ...letter(12), id: b!.id, reason: 'out_of_range', detail: 'co 9999 is above 2000' },
        ]);
      });
    });

    describe('its bound', () => {
      it('keeps whole payloads but at most its bound of payload bytes: past it the oldest go', async () => {
        const dl = await open({ maxBytes: 100 * 1024 });
        const payload = 'x'.repeat(10 * 1024);
        const letter = (i: number) => ({ receivedAt: 1000 + i, deviceId: 'd', topic: 't', reason: 'malformed_json' as const, detail: `detail ${i}`, payload });
        const bytes = async () => (await everything(dl)).reduce((sum, l) => sum + l.payload.length, 0);
        for (let i = 0; i < 10; i++) await dl.add([letter(i)]);
        expect(await bytes()).toBe(100 * 1024);
        expect((await dl.list({ limit: 1 }))[0]!.payload).toBe(payload);
        await dl.add([letter(10)]);
        expect(await bytes()).toBeLessThanOrEqual(100 * 1024);
        for (let i = 11; i < 40; i++) await dl.add([letter(i)]);
        expect(await bytes()).toBeLessThanOrEqual(100 * 1024);
        expect((await dl.list({ limit: 1 }))[0]!.detail).toBe('detail 39');
      });

      it('never holds more than its bound: past it an add removes the oldest, down to 1% below', async () => {
        const dl = await open({ maxRows: 200 });
        const letter = (i: number) => ({ receivedAt: 1000 + i, deviceId: 'd', topic: 't', reason: 'malformed_json' as const, detail: `detail ${i}`, payload: '{' });
        const count = async () => (await everything(dl)).length;
        for (let i = 0; i < 199; i++) await dl.add([letter(i)]);
        expect(await count()).toBe(199);
        await dl.add([letter(199), letter(200)]); // 201 > 200: the oldest go, to 198
        expect(await count()).toBe(198);
        expect((await dl.list({ limit: 1000 })).at(-1)!.detail).toBe('detail 3');
        for (let i = 201; i < 1000; i++) {
          await dl.add([letter(i)]);
          expect(await count()).toBeLessThanOrEqual(200);
        }
        expect((await dl.list({ limit: 1 }))[0]!.detail).toBe('detail 999');
      });
    });
  });
}
