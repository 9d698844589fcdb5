import { afterEach, describe, expect, it } from '@jest/globals';
import { handle, MemoryDeadLetters, MemoryReadingStore, message, metricValue, spoolRows, startIngest, tempDir, until, type Rig } from './fakes.js';

const payload = (i: number, t: number) => JSON.stringify({ ts: t + i, seq: i, values: { co: i % 100 } });

/** Hands messages `from`..`from + n - 1` to ingest, 100 per turn, and waits for all their done() calls. */
async function publish(rig: Rig, n: number, t: number, from = 0): Promise<void> {
  for (let start = from; start < from + n; start += 100) {
    const results = await Promise.all(Array.from({ length: Math.min(100, from + n - start) }, (_, k) => handle(rig.ingest, message('gas-1', payload(start + k, t)))));
    if (results.some((e) => e)) throw new Error('a message was not taken');
  }
}

describe('the store writer', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });
  function dir(): string {
    const tmp = tempDir();
    cleanups.push(tmp.remove);
    return tmp.dir;
  }
  async function rig(d: string, opts: Parameters<typeof startIngest>[1] = {}): Promise<Rig> {
    const r = await startIngest(d, opts);
    cleanups.push(() => r.ingest.close());
    return r;
  }

  it('drains the spool into the store in batches, oldest first', async () => {
    const r = await rig(dir(), { batchSize: 100 });
    const t = Date.now() - 600_000;
    await publish(r, 1000, t);
    await until(async () => (await r.store.count()) === 1000, 'all 1000 readings stored');
    await until(() => r.ingest.stats().spoolDepth === 0, 'the spool to empty');
    expect(r.store.calls.every((c) => c.ok && c.size <= 100)).toBe(true);
    expect(spoolRows(r.dir)).toHaveLength(0);
    expect(r.ingest.stats()).toMatchObject({ accepted: 1000, stored: 1000, spoolDepth: 0, spoolBytes: 0, oldestAgeMs: null, storeUp: true });
    expect(await metricValue(r.registry, 'citysense_readings_stored_total')).toBe(1000);
    expect(await metricValue(r.registry, 'citysense_store_up')).toBe(1);
    const hist = await r.registry.getSingleMetric('citysense_store_write_seconds')!.get();
    expect(hist.values.find((v) => (v as { metricName?: string }).metricName === 'citysense_store_write_seconds_count')!.value).toBe(r.store.calls.length);
  });

  it('writes several batches at once when asked to, and removes only what was confirmed in order', async () => {
    const r = await rig(dir(), { batchSize: 50, writeConcurrency: 3 });
    const t = Date.now() - 600_000;
    let inFlight = 0;
    let most = 0;
    let calls = 0;
    const write = r.store.write.bind(r.store);
    r.store.write = async (readings) => {
      inFlight++;
      most = Math.max(most, inFlight);
      try {
        await new Promise((resolve) => setTimeout(resolve, 20));
        if (++calls === 2) throw new Error('the second batch fails once'); // the first stays confirmed, the rest is retried
        await write(readings);
      } finally {
        inFlight--;
      }
    };
    await publish(r, 600, t);
    await until(async () => r.ingest.stats().spoolDepth === 0, 'the spool to empty', 15_000);
    expect(most).toBe(3);
    expect(await r.store.count()).toBe(600);
    expect(r.ingest.stats()).toMatchObject({ stored: 600, storeUp: true });
    expect(spoolRows(r.dir)).toHaveLength(0);
  });

  it('removes a batch from the spool only after the store confirmed it', async () => {
    const r = await rig(dir());
    const release = r.store.hold();
    await publish(r, 50, Date.now() - 60_000);
    await new Promise((resolve) => setTimeout(resolve, 100)); // the writer is waiting on the store
    expect(spoolRows(r.dir)).toHaveLength(50);
    expect(r.ingest.stats().oldestAgeMs).toEqual(expect.any(Number));
    expect(await metricValue(r.registry, 'citysense_spool_depth')).toBe(50);
    expect(await metricValue(r.registry, 'citysense_spool_bytes')).toBeGreaterThan(0);
    release();
    await until(() => spoolRows(r.dir).length === 0, 'the rows to leave the spool');
    expect(await r.store.count()).toBe(50);
  });

  it('keeps everything in the spool while the store fails, and delivers all of it when it is back', async () => {
    const r = await rig(dir());
    r.store.failing = true;
    const t = Date.now() - 600_000;
    await publish(r, 300, t);
    await until(() => r.store.calls.filter((c) => !c.ok).length >= 2, 'a failed write and its retry');
    expect(r.ingest.stats()).toMatchObject({ storeUp: false, spoolDepth: 300, stored: 0 });
    expect(r.ingest.ready()).toBe(false);
    expect(await metricValue(r.registry, 'citysense_store_up')).toBe(0);
    expect(spoolRows(r.dir)).toHaveLength(300);
    expect(await r.store.count()).toBe(0);
    // Publishing goes on during the outage.
    await publish(r, 200, t, 300);

    r.store.failing = false;
    await until(async () => (await r.store.count()) === 500, 'all 500 readings stored', 15_000);
    await until(() => r.ingest.stats().spoolDepth === 0, 'the spool to empty');
    expect(r.ingest.stats()).toMatchObject({ storeUp: true, stored: 500 });
    expect(r.ingest.ready()).toBe(true);
    const stored = [...r.store.points.values()].map((x) => x.seq).sort((a, b) => a! - b!);
    expect(stored).toEqual(Array.from({ length: 500 }, (_, i) => i));
  });

  it('resumes after a restart: what the first run spooled reaches the store, and its seqs still catch resends', async () => {
    const d = dir();
    const down = new MemoryReadingStore();
    down.failing = true;
    const first = await rig(d, { store: down });
    const t = Date.now() - 600_000;
    await publish(first, 250, t);
    await first.ingest.close();
    expect(spoolRows(d)).toHaveLength(250);

    const letters = new MemoryDeadLetters();
    const second = await rig(d, { letters });
    expect(second.ingest.stats().spoolDepth + second.ingest.stats().stored).toBe(250);
    await until(async () => (await second.store.count()) === 250, 'every spooled reading stored', 15_000);
    expect(spoolRows(d)).toHaveLength(0);
    // A QoS 1 resend of a message the first run acknowledged.
    expect(await handle(second.ingest, message('gas-1', payload(17, t)))).toBeUndefined();
    expect(letters.letters.map((l) => l.reason)).toEqual(['duplicate']);
  });

  it('under a light load gathers group commits into one write per linger period', async () => {
    const r = await rig(dir(), { batchSize: 1000, writeLingerMs: 1000 });
    const t = Date.now() - 600_000;
    await publish(r, 100, t); // the writer was idle: written at once
    await until(async () => (await r.store.count()) === 100, 'the first 100 stored');
    await publish(r, 400, t, 100); // four group commits, well within the linger period
    await until(async () => (await r.store.count()) === 500, 'all 500 stored');
    expect(r.store.calls.map((c) => c.size)).toEqual([100, 400]);
    expect(r.ingest.stats()).toMatchObject({ stored: 500, spoolDepth: 0 });
  });

  it('does not linger once a full batch waits, nor when a drain asks for the spool to empty', async () => {
    const r = await rig(dir(), { batchSize: 200, writeLingerMs: 60_000 });
    const t = Date.now() - 600_000;
    await publish(r, 100, t);
    await until(async () => (await r.store.count()) === 100, 'the first 100 stored');
    await publish(r, 300, t, 100); // a full batch of 200 is waiting: no minute-long wait
    await until(async () => (await r.store.count()) >= 300, 'the full batch stored', 10_000);
    await r.ingest.drain(Date.now() + 10_000); // the last 100 are less than a batch: the drain ends the wait
    expect(await r.store.count()).toBe(400);
    expect(r.ingest.stats().spoolDepth).toBe(0);
  });

  it('drain() empties the spool before its deadline when the store works', async () => {
    const r = await rig(dir());
    const release = r.store.hold();
    await publish(r, 100, Date.now() - 60_000);
    setTimeout(release, 50);
    await r.ingest.drain(Date.now() + 5000);
    expect(r.ingest.stats().spoolDepth).toBe(0);
    expect(await r.store.count()).toBe(100);
  });

  it('drain() returns at its deadline when the store is down, leaving the rest for the next start', async () => {
    const d = dir();
    const r = await rig(d);
    r.store.failing = true;
    await publish(r, 100, Date.now() - 60_000);
    const started = Date.now();
    await r.ingest.drain(Date.now() + 300);
    expect(Date.now() - started).toBeLessThan(2000);
    await r.ingest.close();
    expect(spoolRows(d)).toHaveLength(100);
  });
});
