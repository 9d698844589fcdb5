import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AppError, type Reading } from '../../src/core/index.js';
import { AGGREGATES, type Aggregate, type HistoryQuery, type Point, type ReadingStore } from '../../src/storage/index.js';

/** How a test file hands its adapter to the contract: a fresh store (not started) and what to tidy afterwards. */
export interface ContractSubject {
  open(): Promise<ReadingStore>;
  teardown?(): Promise<void>;
}

// A fixed, hour-aligned base time: every expectation below is computed from it by hand.
const BASE = Date.UTC(2025, 0, 6, 12, 0, 0);
const S = 1000;

let seq = 0;
/** A reading of a cold-chain fridge (numbers and a boolean), unique device per test. */
function reading(deviceId: string, ts: number, values: Reading['values'], extra: Partial<Reading> = {}): Reading {
  return { deviceId, domain: 'healthcare', type: 'cold_chain', ts, receivedAt: ts + 250, seq: seq++, values, ...extra };
}

function q(deviceId: string, metric: string, more: Partial<HistoryQuery> = {}): HistoryQuery {
  return { deviceId, metric, from: BASE - 3600 * S, to: BASE + 3600 * S, limit: 1000, ...more };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

/**
 * The behaviour every ReadingStore must show (DESIGN.md: one contract suite per port). Each test uses its own
 * device ids, so tests share one store and the suite can run against a long-lived server.
 */
export function readingStoreContract(name: string, subject: ContractSubject): void {
  describe(`ReadingStore contract: ${name}`, () => {
    let store: ReadingStore;

    beforeAll(async () => {
      store = await subject.open();
      await store.start();
    });
    afterAll(async () => {
      await store?.close();
      await subject.teardown?.();
    });

    it('answers ping once started', async () => {
      expect(await store.ping()).toBe(true);
    });

    it('counts what was written, per device and in all', async () => {
      const before = await store.count();
      await store.write([
        reading('count-a', BASE, { temp: 4 }),
        reading('count-a', BASE + S, { temp: 4.5 }),
        reading('count-a', BASE + 2 * S, { temp: 5, door_open: false }),
        reading('count-b', BASE, { temp: 3 }),
        reading('count-b', BASE + S, { door_open: true }),
      ]);
      expect(await store.count('count-a')).toBe(3);
      expect(await store.count('count-b')).toBe(2);
      expect(await store.count('count-nobody')).toBe(0);
      expect(await store.count()).toBe(before + 5);
    });

    it('accepts an empty batch', async () => {
      await expect(store.write([])).resolves.toBeUndefined();
    });

    it('overwrites when the same device and timestamp are written again (idempotent replay)', async () => {
      const batch = [reading('replay', BASE, { temp: 2 }), reading('replay', BASE + S, { temp: 3 })];
      await store.write(batch);
      await store.write(batch);
      expect(await store.count('replay')).toBe(2);
      await store.write([reading('replay', BASE + S, { temp: 7.25 })]);
      expect(await store.count('replay')).toBe(2);
      expect(await store.query(q('replay', 'temp'))).toEqual([{ t: BASE, v: 2 }, { t: BASE + S, v: 7.25 }]);
    });

    it('returns raw points in time order, from inclusive, to exclusive, the first `limit`', async () => {
      // written out of order, and with another metric that must not show up
      await store.write([
        reading('raw', BASE + 3 * S, { temp: 3 }),
        reading('raw', BASE + 1 * S, { temp: 1 }),
        reading('raw', BASE + 4 * S, { temp: 4 }),
        reading('raw', BASE + 0 * S, { temp: 0 }),
        reading('raw', BASE + 2 * S, { temp: 2, door_open: true }),
        reading('raw', BASE + 5 * S, { door_open: false }),
      ]);
      expect(await store.query(q('raw', 'temp', { from: BASE + S, to: BASE + 4 * S }))).toEqual([
        { t: BASE + S, v: 1 }, { t: BASE + 2 * S, v: 2 }, { t: BASE + 3 * S, v: 3 },
      ]);
      expect(await store.query(q('raw', 'temp', { limit: 2 }))).toEqual([{ t: BASE, v: 0 }, { t: BASE + S, v: 1 }]);
      expect(await store.query(q('raw', 'temp', { from: BASE + 10 * S }))).toEqual([]);
      expect(await store.query(q('raw', 'humidity'))).toEqual([]);
      expect(await store.query(q('raw-nobody', 'temp'))).toEqual([]);
      // Any range a Date holds, also beyond what InfluxDB stores (1677 to 2262): the same points.
      const wide = q('raw', 'temp', { from: Date.UTC(1600, 0, 1), to: Date.UTC(2300, 0, 1), limit: 2 });
      expect(await store.query(wide)).toEqual([{ t: BASE, v: 0 }, { t: BASE + S, v: 1 }]);
      expect(await store.query({ ...wide, every: 86_400_000 * 365, agg: 'count' })).toHaveLength(1);
    });

    describe('aggregates per `every` bucket', () => {
      const dev = 'agg';
      const E = 10 * S;
      // Buckets (aligned to the epoch, BASE is a multiple of 10 s):
      //   [BASE-10s, BASE)      one value: 8          ← only partly inside `from`
      //   [BASE, BASE+10s)      1, 2, 3 (last at +9s)
      //   [BASE+10s, BASE+20s)  empty                 ← left out
      //   [BASE+20s, BASE+30s)  -4, 4.5
      //   [BASE+30s, ...)       outside `to`
      const data: [number, number][] = [
        [-9 * S, 99], // before `from`
        [-2 * S, 8],
        [0, 1], [4 * S, 3], [9 * S, 2],
        [21 * S, -4], [29 * S, 4.5],
        [30 * S, 50], // at `to`: excluded
      ];
      const range = { from: BASE - 5 * S, to: BASE + 30 * S, every: E };
      const expected: Record<Aggregate, Point[]> = {
        mean: [{ t: BASE - E, v: 8 }, { t: BASE, v: 2 }, { t: BASE + 2 * E, v: 0.25 }],
        min: [{ t: BASE - E, v: 8 }, { t: BASE, v: 1 }, { t: BASE + 2 * E, v: -4 }],
        max: [{ t: BASE - E, v: 8 }, { t: BASE, v: 3 }, { t: BASE + 2 * E, v: 4.5 }],
        last: [{ t: BASE - E, v: 8 }, { t: BASE, v: 2 }, { t: BASE + 2 * E, v: 4.5 }],
        count: [{ t: BASE - E, v: 1 }, { t: BASE, v: 3 }, { t: BASE + 2 * E, v: 2 }],
        sum: [{ t: BASE - E, v: 8 }, { t: BASE, v: 6 }, { t: BASE + 2 * E, v: 0.5 }],
      };

      beforeAll(async () => {
        await store.write(data.map(([dt, v]) => reading(dev, BASE + dt, { temp: v })));
      });

      it.each(AGGREGATES.map((a) => [a]))('%s', async (agg) => {
        expect(await store.query(q(dev, 'temp', { ...range, agg }))).toEqual(expected[agg]);
      });

      it('limits to the first buckets', async () => {
        expect(await store.query(q(dev, 'temp', { ...range, agg: 'max', limit: 2 }))).toEqual(expected.max.slice(0, 2));
      });

      it('buckets wider than the data, aligned to the epoch', async () => {
        const minute = 60 * S;
        // BASE is a whole hour, so [BASE-1m, BASE) and [BASE, BASE+1m) hold the data
        expect(await store.query(q(dev, 'temp', { ...range, every: minute, agg: 'count' }))).toEqual([
          { t: BASE - minute, v: 1 }, { t: BASE, v: 5 },
        ]);
      });

      it('answers nothing for a range without data', async () => {
        expect(await store.query(q(dev, 'temp', { from: BASE + 100 * S, to: BASE + 200 * S, every: E, agg: 'mean' }))).toEqual([]);
      });
    });

    describe('booleans', () => {
      const dev = 'bool';
      beforeAll(async () => {
        await store.write([
          reading(dev, BASE, { door_open: false, temp: 4 }),
          reading(dev, BASE + 2 * S, { door_open: true, temp: 4 }),
          reading(dev, BASE + 12 * S, { door_open: false, temp: 4 }),
        ]);
      });

      it('come back as booleans', async () => {
        expect(await store.query(q(dev, 'door_open'))).toEqual([
          { t: BASE, v: false }, { t: BASE + 2 * S, v: true }, { t: BASE + 12 * S, v: false },
        ]);
      });

      it('take last and count', async () => {
        const every = 10 * S;
        expect(await store.query(q(dev, 'door_open', { every, agg: 'last' }))).toEqual([{ t: BASE, v: true }, { t: BASE + every, v: false }]);
        expect(await store.query(q(dev, 'door_open', { every, agg: 'count' }))).toEqual([{ t: BASE, v: 2 }, { t: BASE + every, v: 1 }]);
      });

      it.each([['mean'], ['min'], ['max'], ['sum']] as [Aggregate][])('refuse %s with a 400 bad_request', async (agg) => {
        const err = await rejection(store.query(q(dev, 'door_open', { every: 10 * S, agg })));
        expect(err).toBeInstanceOf(AppError);
        expect(err).toMatchObject({ code: 'bad_request', status: 400 });
      });
    });

    describe('scan: whole readings of one device, a page at a time', () => {
      const dev = 'scan-a';
      beforeAll(async () => {
        await store.write([
          reading(dev, BASE + 2 * S, { temp: 5, door_open: true }),
          reading(dev, BASE, { temp: 4 }),
          reading(dev, BASE + S, { door_open: false }),
          reading(dev, BASE + 3 * S, { temp: 6.5 }),
          reading('scan-other', BASE + S, { temp: 9 }),
        ]);
      });

      it('gives every metric of each reading, its receive time, oldest first, from inclusive, to exclusive', async () => {
        expect(await store.scan({ deviceId: dev, from: BASE, to: BASE + 3 * S, limit: 100 })).toEqual([
          { deviceId: dev, ts: BASE, receivedAt: BASE + 250, values: { temp: 4 } },
          { deviceId: dev, ts: BASE + S, receivedAt: BASE + S + 250, values: { door_open: false } },
          { deviceId: dev, ts: BASE + 2 * S, receivedAt: BASE + 2 * S + 250, values: { temp: 5, door_open: true } },
        ]);
      });

      it('pages with limit and from = last ts + 1, and counts a range', async () => {
        const first = await store.scan({ deviceId: dev, from: BASE - 3600 * S, to: BASE + 3600 * S, limit: 2 });
        expect(first.map((r) => r.ts)).toEqual([BASE, BASE + S]);
        const next = await store.scan({ deviceId: dev, from: first[1]!.ts + 1, to: BASE + 3600 * S, limit: 2 });
        expect(next.map((r) => r.ts)).toEqual([BASE + 2 * S, BASE + 3 * S]);
        expect(await store.scan({ deviceId: dev, from: BASE + 3 * S + 1, to: BASE + 3600 * S, limit: 2 })).toEqual([]);
        expect(await store.countRange(dev, BASE, BASE + 3 * S)).toBe(3);
        expect(await store.countRange(dev, BASE + 10 * S, BASE + 20 * S)).toBe(0);
        expect(await store.countRange('scan-nobody', BASE, BASE + 3 * S)).toBe(0);
      });

      it('neutralises a hostile device id and refuses a bad limit', async () => {
        expect(await store.scan({ deviceId: "x' OR '1'='1", from: BASE - 3600 * S, to: BASE + 3600 * S, limit: 10 })).toEqual([]);
        expect(await store.countRange(`${dev}' OR '1'='1`, BASE - 3600 * S, BASE + 3600 * S)).toBe(0);
        const err = await rejection(store.scan({ deviceId: dev, from: BASE, to: BASE + S, limit: 0 }));
        expect(err).toMatchObject({ code: 'bad_request', status: 400 });
      });
    });

    describe('hostile input', () => {
      const dev = 'victim';
      const hostile = [
        "x' OR '1'='1",
        `${dev}' OR '1'='1`,
        'a"; DROP DATABASE x; --',
        `a'; DROP MEASUREMENT readings; --`,
        "\\'",
        '\\',
        '"',
        "victim\\' OR device =~ /.*/ OR '",
        'temp" FROM readings; DROP DATABASE citysense; SELECT "temp',
        "victim'\nDROP DATABASE x",
        'line\nbreak"\r\t',
        '',
      ];

      beforeAll(async () => {
        await store.write([reading(dev, BASE, { temp: 5 }), reading(dev, BASE + S, { temp: 6 })]);
      });

      it.each(hostile.map((h) => [h]))('in deviceId or metric is neutralised: %j', async (h) => {
        const before = await store.count();
        expect(await store.query(q(h, 'temp'))).toEqual([]);
        expect(await store.query(q(h, 'temp', { every: 10 * S, agg: 'count' }))).toEqual([]);
        expect(await store.query(q(dev, h))).toEqual([]);
        expect(await store.query(q(dev, h, { every: 10 * S, agg: 'mean' }))).toEqual([]);
        expect(await store.count(h)).toBe(0);
        expect(await store.count()).toBe(before);
        expect(await store.query(q(dev, 'temp'))).toEqual([{ t: BASE, v: 5 }, { t: BASE + S, v: 6 }]);
      });

      it('round-trips a device id made of quotes and backslashes', async () => {
        const odd = `q'u"o\\te, =x`;
        await store.write([reading(odd, BASE, { temp: 1.5 })]);
        expect(await store.query(q(odd, 'temp'))).toEqual([{ t: BASE, v: 1.5 }]);
        expect(await store.count(odd)).toBe(1);
      });

      it.each([
        ['an aggregate outside the list', { every: 10 * S, agg: 'mean("temp")) FROM readings; --' as Aggregate }],
        ['agg without every', { agg: 'mean' as Aggregate }],
        ['a fractional every', { every: 1.5, agg: 'mean' as Aggregate }],
        ['a limit that is not a positive integer', { limit: 0 }],
        ['a limit smuggling text', { limit: '10; DROP DATABASE x' as unknown as number }],
        ['a non-integer from', { from: Number.NaN }],
      ])('refuses %s with bad_request', async (_label, more) => {
        const err = await rejection(store.query(q(dev, 'temp', more)));
        expect(err).toMatchObject({ code: 'bad_request', status: 400 });
        expect(await store.count(dev)).toBe(2);
      });
    });
  });
}
