import { afterEach, describe, expect, it } from '@jest/globals';
import type { Reading } from '../../src/core/index.js';
import type { SpoolStore } from '../../src/storage/index.js';

/** Where one log lives (a file, a database): opened, closed and opened again, as a restart does. */
export interface SpoolPlace {
  open(sinks: readonly string[]): Promise<SpoolStore>;
  remove(): Promise<void> | void;
}

/** How a test file hands its adapter to the contract: a new, empty place per test. */
export interface SpoolStoreSubject {
  place(): Promise<SpoolPlace>;
}

const t0 = Date.UTC(2026, 11, 1, 6, 0, 0);
function readings(from: number, n: number, device = 'gas-1'): Reading[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    const r: Reading = { deviceId: device, domain: 'safety', type: 'gas', ts: t0 + i, receivedAt: t0 + 1000 + i, values: { co: i + 0.5, alarm: i % 2 === 0 } };
    if (i % 5 !== 3) r.seq = i;
    return r;
  });
}
const seqs = (b: { readings: readonly Reading[] }) => b.readings.map((r) => r.seq ?? null);

/**
 * What every adapter of the ingest spool's log must do (DESIGN.md: one contract suite per port). Every call is
 * awaited, so the suite runs unchanged against an adapter whose methods return promises.
 */
export function spoolStoreContract(name: string, subject: SpoolStoreSubject): void {
  describe(`SpoolStore contract: ${name}`, () => {
    const cleanups: Array<() => Promise<void> | void> = [];
    afterEach(async () => {
      while (cleanups.length) await cleanups.pop()!();
    });
    async function place(): Promise<SpoolPlace & { reopen(sinks?: readonly string[]): Promise<SpoolStore> }> {
      const p = await subject.place();
      cleanups.push(() => p.remove());
      let current: SpoolStore | undefined;
      cleanups.push(async () => { await current?.close(); });
      return {
        ...p,
        async open(sinks) {
          current = await p.open(sinks);
          return current;
        },
        /** Closes the log open now and opens it again. */
        async reopen(sinks = ['store']) {
          await current?.close();
          current = await p.open(sinks);
          return current;
        },
      };
    }

    it('starts empty, and fresh', async () => {
      const log = await (await place()).open(['store']);
      expect([log.previousRun, log.stoppedAt, log.lastId, log.removedUpTo]).toEqual(['fresh', undefined, 0, 0]);
      expect(await log.read(0, 100)).toEqual({ readings: [], lastId: 0, bytes: 0 });
      expect(await log.count(0, 100)).toEqual({ n: 0, bytes: 0 });
      expect(await log.position('store')).toBe(0);
      expect(await log.oldestReceivedAt()).toBeNull();
      expect([...(await log.savedSeqs())]).toEqual([]);
    });

    it('gives appends strictly increasing ids and keeps them, their readings whole, across a restart', async () => {
      const p = await place();
      const log = await p.open(['store']);
      const a = await log.append(readings(0, 3));
      const b = await log.append([...readings(3, 2)].reverse()); // the earliest receive time is the second reading's
      expect(b.id).toBeGreaterThan(a.id);
      expect(a).toEqual({ id: a.id, bytes: expect.any(Number), receivedAt: t0 + 1000 });
      expect(b.receivedAt).toBe(t0 + 1003);
      expect(a.bytes).toBeGreaterThan(0);
      expect(log.lastId).toBe(b.id);
      const again = await p.reopen();
      expect(again.previousRun).toBe('unknown'); // no clean stop was recorded
      expect(again.lastId).toBe(b.id);
      const all = await again.read(0, 100);
      expect(all).toEqual({ readings: [...readings(0, 3), ...[...readings(3, 2)].reverse()], lastId: b.id, bytes: a.bytes + b.bytes });
      expect(all.readings[4]).not.toHaveProperty('seq'); // reading 3, without a seq, comes back without one
      expect(await again.count(0, b.id)).toEqual({ n: 5, bytes: a.bytes + b.bytes });
      expect(await again.count(a.id, b.id)).toEqual({ n: 2, bytes: b.bytes });
      expect(await again.oldestReceivedAt()).toBe(t0 + 1000);
    });

    it('reads whole appends in order from a position: as many as fit in the limit, and one larger than the limit whole', async () => {
      const log = await (await place()).open(['store']);
      const ids = [];
      for (const [from, n] of [[0, 3], [3, 2], [5, 7], [12, 1]] as const) ids.push((await log.append(readings(from, n))).id);
      const first = await log.read(0, 5);
      expect(seqs(first)).toEqual([0, 1, 2, null, 4]);
      expect(first.lastId).toBe(ids[1]);
      const big = await log.read(first.lastId, 5);
      expect([big.readings.length, big.lastId]).toEqual([7, ids[2]]);
      expect(seqs(await log.read(big.lastId, 5))).toEqual([12]);
      expect(await log.read(ids[3]!, 5)).toEqual({ readings: [], lastId: 0, bytes: 0 });
      // `below` stops before an id (the ingest keeps the newest appends in memory and reads only what is older).
      expect((await log.read(0, 100, ids[2])).lastId).toBe(ids[1]);
      expect(await log.read(ids[1]!, 100, ids[2])).toEqual({ readings: [], lastId: 0, bytes: 0 });
    });

    it('moves each sink on its own, removes only what every sink is past, and resumes each sink where it was after a restart', async () => {
      const p = await place();
      const sinks = ['store', 'stream'];
      const log = await p.open(sinks);
      const ids = [];
      for (let i = 0; i < 4; i++) ids.push((await log.append(readings(i * 10, 10))).id);
      await log.advance('store', ids[3]!, 0); // the store has all; the stream nothing yet: nothing goes
      expect([await log.position('store'), await log.position('stream'), log.removedUpTo]).toEqual([ids[3], 0, 0]);
      await log.advance('stream', ids[1]!, ids[1]!);
      expect([await log.position('stream'), log.removedUpTo]).toEqual([ids[1], ids[1]]);
      expect(seqs(await log.read(0, 100))).toEqual(readings(20, 20).map((r) => r.seq ?? null));
      expect((await log.count(0, ids[3]!)).n).toBe(20);
      expect(await log.oldestReceivedAt()).toBe(t0 + 1020);

      const again = await p.reopen(sinks);
      expect([await again.position('store'), await again.position('stream'), again.removedUpTo, again.lastId]).toEqual([ids[3], ids[1], ids[1], ids[3]]);
      expect((await again.read(await again.position('stream'), 100)).readings).toHaveLength(20);
      // A sink new to the log starts at the oldest append kept.
      const third = await p.reopen([...sinks, 'webhook']);
      expect(await third.position('webhook')).toBe(ids[1]);
    });

    it('with one sink, resumes it past what it removed', async () => {
      const p = await place();
      const log = await p.open(['store']);
      const a = await log.append(readings(0, 4));
      const b = await log.append(readings(4, 4));
      await log.advance('store', a.id, a.id);
      expect([await log.position('store'), log.removedUpTo]).toEqual([a.id, a.id]);
      const again = await p.reopen(['store']);
      expect([await again.position('store'), again.removedUpTo]).toEqual([a.id, a.id]);
      expect((await again.read(await again.position('store'), 100)).lastId).toBe(b.id);
    });

    it('never gives an id twice, also once the log was emptied and opened again', async () => {
      const p = await place();
      const sinks = ['store', 'stream'];
      const log = await p.open(sinks);
      const a = await log.append(readings(0, 2));
      await log.advance('store', a.id, 0);
      await log.advance('stream', a.id, a.id);
      expect(await log.count(0, a.id)).toEqual({ n: 0, bytes: 0 });
      expect(await log.oldestReceivedAt()).toBeNull();
      const b = await log.append(readings(2, 1));
      expect(b.id).toBeGreaterThan(a.id);
      await log.advance('store', b.id, 0);
      await log.advance('stream', b.id, b.id);
      const again = await p.reopen(sinks);
      expect([again.lastId, again.removedUpTo, await again.position('stream')]).toEqual([b.id, b.id, b.id]);
      const c = await again.append(readings(3, 1));
      expect(c.id).toBeGreaterThan(b.id);
      expect(seqs(await again.read(await again.position('store'), 10))).toEqual([null]); // reading 3 has no seq
    });

    it('says how the previous run ended: a clean stop is seen by the next open only', async () => {
      const p = await place();
      const log = await p.open(['store']);
      await log.append(readings(0, 1));
      await log.markStopped(t0 + 5000);
      const second = await p.reopen();
      expect([second.previousRun, second.stoppedAt]).toEqual(['stopped', t0 + 5000]);
      const third = await p.reopen(); // killed after the second open: no marker
      expect([third.previousRun, third.stoppedAt]).toEqual(['unknown', undefined]);
    });

    it('keeps the saved seqs of each device until the next save replaces them', async () => {
      const p = await place();
      const log = await p.open(['store']);
      await log.saveSeqs([
        { deviceId: 'gas-1', seqs: new Float64Array([1, 2, 3]), times: new Float64Array([t0, Number.NaN, t0 + 2]) },
        { deviceId: 'gas-2', seqs: new Float64Array([]), times: new Float64Array([]) }, // nothing to keep
        { deviceId: 'gas-3', seqs: new Float64Array([7]), times: new Float64Array([Number.NaN]) },
      ]);
      const again = await p.reopen();
      const saved = [...(await again.savedSeqs())].sort((x, y) => x.deviceId.localeCompare(y.deviceId));
      expect(saved.map((d) => [d.deviceId, [...d.seqs], [...d.times]])).toEqual([['gas-1', [1, 2, 3], [t0, Number.NaN, t0 + 2]], ['gas-3', [7], [Number.NaN]]]);
      await again.saveSeqs([{ deviceId: 'gas-9', seqs: new Float64Array([4]), times: new Float64Array([t0]) }]);
      expect([...(await again.savedSeqs())].map((d) => d.deviceId)).toEqual(['gas-9']);
    });
  });
}
