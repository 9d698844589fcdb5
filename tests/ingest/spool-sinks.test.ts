import { afterEach, describe, expect, it } from '@jest/globals';
import { handle, MemoryReadingStore, MemorySink, message, metricValue, spoolRows, startIngest, tempDir, until, type Rig } from './fakes.js';

const payload = (i: number, t: number) => JSON.stringify({ ts: t + i, seq: i, values: { co: i % 100 } });

async function publish(rig: Rig, n: number, t: number, from = 0): Promise<void> {
  for (let start = from; start < from + n; start += 50) {
    const results = await Promise.all(Array.from({ length: Math.min(50, from + n - start) }, (_, k) => handle(rig.ingest, message('gas-1', payload(start + k, t)))));
    if (results.some((e) => e)) throw new Error('a message was not taken');
  }
}
const seqsOf = (readings: readonly { seq?: number }[]) => readings.map((r) => r.seq);
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

describe('the spool with several sinks', () => {
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

  it('a sink that is down holds up neither the store nor the devices, and keeps the rows until it has them', async () => {
    const stream = new MemorySink('stream', 100);
    stream.failing = true;
    const r = await rig(dir(), { sinks: [stream], batchSize: 100 });
    const t = Date.now() - 600_000;
    await publish(r, 300, t);
    await until(async () => (await r.store.count()) === 300, 'the store to have all 300');
    await until(() => stream.calls.length >= 2, 'a failed stream write and its retry');
    expect(r.ingest.stats().sinks).toEqual([
      { name: 'store', lag: 0, up: true, written: 300 },
      { name: 'stream', lag: 300, up: false, written: 0 },
    ]);
    expect(r.ingest.ready()).toBe(true); // the store is current: the node still takes devices
    expect(spoolRows(r.dir)).toHaveLength(300);
    expect(await metricValue(r.registry, 'citysense_sink_lag_readings', { sink: 'stream' })).toBe(300);
    expect(await metricValue(r.registry, 'citysense_sink_up', { sink: 'stream' })).toBe(0);
    expect(await metricValue(r.registry, 'citysense_sink_lag_readings', { sink: 'store' })).toBe(0);

    await publish(r, 100, t, 300); // more during the outage
    stream.failing = false;
    await until(() => stream.delivered.length === 400, 'the stream to catch up', 15_000);
    expect(seqsOf(stream.delivered)).toEqual(range(0, 400)); // in order, no gap, no repeat
    await until(() => r.ingest.stats().spoolDepth === 0, 'the spool to empty');
    expect(spoolRows(r.dir)).toHaveLength(0);
    expect(r.ingest.stats()).toMatchObject({ spoolDepth: 0, spoolBytes: 0, stored: 400 });
    expect(await metricValue(r.registry, 'citysense_sink_written_total', { sink: 'stream' })).toBe(400);
    expect(await r.store.count()).toBe(400);
  });

  it('removes a row only once every sink is past it, whichever is behind', async () => {
    const stream = new MemorySink('stream', 100);
    const r = await rig(dir(), { sinks: [stream], batchSize: 100 });
    r.store.failing = true; // now the store is the one behind
    const t = Date.now() - 600_000;
    await publish(r, 200, t);
    await until(() => stream.delivered.length === 200, 'the stream to have all 200');
    expect(spoolRows(r.dir)).toHaveLength(200);
    expect(r.ingest.ready()).toBe(false);
    r.store.failing = false;
    await until(() => spoolRows(r.dir).length === 0, 'the rows to leave once the store has them', 15_000);
    expect(await r.store.count()).toBe(200);
    expect(stream.delivered).toHaveLength(200);
  });

  it('a restart resumes each sink from its own position: the one behind gets the rest, the other repeats nothing', async () => {
    const d = dir();
    const stream = new MemorySink('stream', 100);
    stream.failing = true;
    const first = await rig(d, { sinks: [stream], batchSize: 100 });
    const t = Date.now() - 600_000;
    await publish(first, 250, t);
    await until(async () => (await first.store.count()) === 250, 'the store to have all 250');
    await first.ingest.close();
    expect(spoolRows(d)).toHaveLength(250);

    const stream2 = new MemorySink('stream', 100);
    const store2 = new MemoryReadingStore();
    const second = await rig(d, { sinks: [stream2], store: store2, batchSize: 100 });
    expect(second.ingest.stats().sinks.map((s) => [s.name, s.lag])).toEqual([['store', 0], ['stream', 250]]);
    await until(() => stream2.delivered.length === 250, 'the stream to get what it missed', 15_000);
    expect(seqsOf(stream2.delivered)).toEqual(range(0, 250));
    await until(() => spoolRows(d).length === 0, 'the spool to empty');
    expect(store2.calls).toEqual([]); // the store had them all: nothing written again

    // The spool emptied: ids go on past the saved positions, so a third run's sinks miss nothing new.
    await publish(second, 10, t, 250);
    await second.ingest.drain(Date.now() + 10_000);
    expect(spoolRows(d)).toHaveLength(0);
    await second.ingest.close();
    const stream3 = new MemorySink('stream', 100);
    stream3.failing = true;
    const third = await rig(d, { sinks: [stream3], batchSize: 100 });
    expect(third.ingest.stats().sinks.map((s) => [s.name, s.lag])).toEqual([['store', 0], ['stream', 0]]);
    await publish(third, 5, t, 260);
    stream3.failing = false;
    await until(() => stream3.delivered.length === 5, 'the third run to deliver its own readings');
    expect(seqsOf(stream3.delivered)).toEqual(range(260, 5));
  });

  it('a run without the second sink and then one with it again loses nothing of the store', async () => {
    const d = dir();
    const t = Date.now() - 600_000;
    const first = await rig(d, { sinks: [new MemorySink('stream', 100)], batchSize: 100 });
    await publish(first, 30, t);
    await first.ingest.drain(Date.now() + 10_000); // both sinks past every row: the table is empty
    await first.ingest.close();
    const down = new MemoryReadingStore();
    down.failing = true;
    const alone = await rig(d, { store: down, batchSize: 100 }); // the stream switched off, the store down
    await publish(alone, 20, t, 30);
    await alone.ingest.close();
    expect(spoolRows(d)).toHaveLength(20);
    const store = new MemoryReadingStore();
    const again = await rig(d, { store, sinks: [new MemorySink('stream', 100)], batchSize: 100 });
    await until(async () => (await store.count()) === 20, 'the store to get the 20 the run without the stream left');
    expect(seqsOf([...store.points.values()]).sort((a, b) => a! - b!)).toEqual(range(30, 20));
    await again.ingest.drain(Date.now() + 10_000);
  });

  it('refuses two sinks with one name', () => {
    expect(() => startIngest(dir(), { sinks: [new MemorySink('store')] })).rejects.toThrow('two sinks of the spool are named store');
  });
});
