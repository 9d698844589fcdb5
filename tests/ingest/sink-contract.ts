import { describe, expect, it, beforeAll, afterAll } from '@jest/globals';
import type { Reading } from '../../src/core/index.js';
import type { ReadingSink } from '../../src/storage/index.js';

/** What the contract needs of one sink: the sink, a way to read what its receiver holds, an optional outage. */
export interface SinkHarness {
  sink: ReadingSink;
  /** Every reading the receiver holds for these devices, as `deviceId@ts`, one entry per copy it holds. */
  held(deviceIds: readonly string[]): Promise<string[]>;
  /** Makes the receiver unreachable and back (a sink whose receiver cannot go away leaves it out). */
  outage?: { down(): Promise<void>; up(): Promise<void> };
  close(): Promise<void>;
}

let counter = 0;
/** A batch of `n` readings of fresh devices (each its own id), some with a seq and some without. */
export function batch(n: number, devices = 3): Reading[] {
  const run = `${process.pid}-${Date.now().toString(36)}-${++counter}`;
  const t0 = Date.now() - 3_600_000;
  return Array.from({ length: n }, (_, i) => {
    const r: Reading = { deviceId: `sink-${run}-${i % devices}`, domain: 'safety', type: 'gas', ts: t0 + i, receivedAt: t0 + i + 5, values: { co: i % 50, ch4: 1 } };
    if (i % 2 === 0) r.seq = i;
    return r;
  });
}
const keys = (readings: readonly Reading[]) => readings.map((r) => `${r.deviceId}@${r.ts}`).sort();
const devicesOf = (readings: readonly Reading[]) => [...new Set(readings.map((r) => r.deviceId))];

/**
 * The sink contract (docs/architecture.md, "Sinks of the spool"): every sink of the spool passes it. The spool's
 * guarantees (nothing lost, nothing stored twice, each sink at its own pace) hold only for sinks that do.
 */
export function sinkContract(name: string, open: () => Promise<SinkHarness>): void {
  describe(`sink contract: ${name}`, () => {
    let h: SinkHarness;
    beforeAll(async () => {
      h = await open();
    }, 60_000);
    afterAll(async () => {
      await h?.close();
    });

    it('has a name, and resolves write() only once the receiver holds every reading of the batch', async () => {
      expect(h.sink.name).toMatch(/^[a-z][a-z0-9_-]*$/);
      const b = batch(25);
      await h.sink.write(b);
      expect((await h.held(devicesOf(b))).sort()).toEqual(keys(b));
    });

    it('writing the same batch again (a retry, a replay after a crash) holds each reading once', async () => {
      const b = batch(20);
      await h.sink.write(b);
      await h.sink.write(b);
      await h.sink.write(b.slice(5, 12)); // a part of it, as a retried batch can be
      expect((await h.held(devicesOf(b))).sort()).toEqual(keys(b));
    });

    it('takes a batch as large as its batch size', async () => {
      const b = batch(h.sink.batchSize ?? 5000, 10);
      await h.sink.write(b);
      expect((await h.held(devicesOf(b))).length).toBe(b.length);
    }, 60_000);

    it('rejects while its receiver is unreachable, and then takes the same batch once', async () => {
      if (!h.outage) return; // this receiver cannot go away (an embedded database)
      const b = batch(10);
      await h.outage.down();
      try {
        await expect(h.sink.write(b)).rejects.toThrow();
      } finally {
        await h.outage.up();
      }
      const end = Date.now() + 30_000;
      for (;;) {
        try {
          await h.sink.write(b);
          break;
        } catch (err) {
          if (Date.now() > end) throw err; // reconnecting takes a moment: the writer retries just like this
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      expect((await h.held(devicesOf(b))).sort()).toEqual(keys(b));
    }, 60_000);
  });
}
