import { afterEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import type { Reading } from '../../src/core/index.js';
import { IngestUnavailableError } from '../../src/ingest/index.js';
import { handle, MemoryReadingStore, message, metricValue, spoolRows, startIngest, tempDir, until, type Rig } from './fakes.js';

const reading = (i: number, t = Date.now() - 60_000) => JSON.stringify({ ts: t + i, seq: i, values: { co: i % 100 } });

describe('the spool', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });
  async function rig(opts: Parameters<typeof startIngest>[1] = {}): Promise<Rig> {
    const tmp = tempDir();
    cleanups.push(tmp.remove);
    const r = await startIngest(tmp.dir, opts);
    cleanups.push(() => r.ingest.close());
    return r;
  }

  it('calls done() only once the reading is committed: a second connection sees it', async () => {
    const r = await rig();
    const release = r.store.hold(); // keep the writer from removing it
    cleanups.push(release);
    let seenAtDone: ReturnType<typeof spoolRows> | undefined;
    let calledSync = false;
    const done = new Promise<Error | undefined>((resolve) => {
      r.ingest.handle(message('gas-1', reading(1)), (err) => {
        seenAtDone = spoolRows(r.dir);
        resolve(err);
      });
      calledSync = seenAtDone !== undefined;
    });
    expect(calledSync).toBe(false);
    expect(spoolRows(r.dir)).toHaveLength(0); // not yet committed: still this turn
    expect(await done).toBeUndefined();
    expect(seenAtDone).toEqual([{ device_id: 'gas-1', ts: expect.any(Number), seq: 1, vals: '{"co":1}' }]);
  });

  it('commits everything handled in one event-loop turn in one transaction, then acknowledges it', async () => {
    const r = await rig();
    const release = r.store.hold();
    cleanups.push(release);
    const commits = () => metricValue(r.registry, 'citysense_spool_commits_total');
    const before = await commits();
    const dones = Array.from({ length: 500 }, (_, i) => handle(r.ingest, message(`gas-${i % 7}`, reading(i))));
    expect(await Promise.all(dones)).toEqual(Array(500).fill(undefined));
    expect(await commits()).toBe(before + 1);
    expect(spoolRows(r.dir)).toHaveLength(500);

    // A second turn is a second transaction.
    await Promise.all(Array.from({ length: 10 }, (_, i) => handle(r.ingest, message('gas-9', reading(i)))));
    expect(await commits()).toBe(before + 2);
    expect(await metricValue(r.registry, 'citysense_messages_accepted_total')).toBe(510);
    expect(r.ingest.stats()).toMatchObject({ accepted: 510, spoolDepth: 510 });
  });

  it('tells onAccepted listeners after the commit and before the acknowledgements, in spool order, once per turn', async () => {
    const r = await rig();
    const release = r.store.hold(); // keep the writer from removing them
    cleanups.push(release);
    const batches: (readonly Reading[])[] = [];
    let doneBeforeListener = -1;
    let spooledAtListener = -1;
    let dones = 0;
    r.ingest.onAccepted((rs) => {
      batches.push(rs);
      doneBeforeListener = dones;
      spooledAtListener = spoolRows(r.dir).length;
    });
    const t = Date.now() - 60_000;
    await Promise.all([
      new Promise<void>((resolve) => r.ingest.handle(message('gas-1', JSON.stringify([{ ts: t + 2, values: { co: 2 } }, { ts: t + 1, values: { co: 1 } }])), () => { dones++; resolve(); })),
      new Promise<void>((resolve) => r.ingest.handle(message('gas-2', JSON.stringify({ co: 3 })), () => { dones++; resolve(); })),
    ]);
    expect(batches).toHaveLength(1);
    expect(spooledAtListener).toBe(3); // durable first
    expect(doneBeforeListener).toBe(0); // then the alert engine, then the PUBACKs
    expect(batches[0]!.map((x) => [x.deviceId, x.values.co])).toEqual([['gas-1', 1], ['gas-1', 2], ['gas-2', 3]]);
    expect(batches[0]![2]).toMatchObject({ deviceId: 'gas-2', domain: 'safety', type: 'gas' });
  });

  it('refuses with done(err) past its bound, acknowledges nothing it cannot keep, and takes messages again once drained', async () => {
    const logs: { level: number; msg: string; refused?: number }[] = [];
    const r = await rig({ spoolMaxBytes: 4000, log: pino({ level: 'info' }, { write: (line: string) => logs.push(JSON.parse(line)) }) });
    const release = r.store.hold();
    let accepted = 0;
    let refusedErr: Error | undefined;
    for (let i = 0; i < 200 && !refusedErr; i++) {
      const err = await handle(r.ingest, message('gas-1', reading(i)));
      if (err) refusedErr = err;
      else accepted++;
    }
    expect(r.ingest.ready()).toBe(false); // /readyz says storage while it refuses
    // Refused again: still one warning for the whole time the spool is full.
    expect(await handle(r.ingest, message('gas-1', reading(500)))).toBeInstanceOf(IngestUnavailableError);
    expect(logs.filter((l) => l.level === 40).map((l) => l.msg)).toEqual(['spool full (SPOOL_MAX_MB): QoS 1/2 publishes are refused until the store catches up']);
    expect(refusedErr).toBeInstanceOf(IngestUnavailableError);
    expect((refusedErr as IngestUnavailableError).code).toBe('spool_full');
    expect(accepted).toBeGreaterThan(10);
    expect(spoolRows(r.dir)).toHaveLength(accepted); // every acknowledged one is kept, the refused one is not
    expect(r.ingest.stats().spoolBytes).toBeLessThanOrEqual(4000);
    expect(r.ingest.stats().refused.spool_full).toBe(2);
    expect(await metricValue(r.registry, 'citysense_messages_refused_total', { reason: 'spool_full' })).toBe(2);
    expect(r.letters.letters).toHaveLength(0); // not a bad message: the device resends it later

    release();
    await until(() => r.ingest.stats().spoolDepth === 0, 'the spool to drain');
    expect(await handle(r.ingest, message('gas-1', reading(1000)))).toBeUndefined();
    expect(logs.at(-1)).toMatchObject({ level: 30, msg: 'spool below its bound again: publishes are accepted', refused: 2 });
    expect(r.ingest.ready()).toBe(true);
    await until(async () => (await r.store.count()) === accepted + 1, 'everything acknowledged to be stored');
  });

  it('counts the bytes a previous run left, so the bound holds across restarts', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.remove);
    const first = await startIngest(tmp.dir);
    cleanups.push(() => first.ingest.close());
    first.store.failing = true;
    for (let i = 0; i < 20; i++) await handle(first.ingest, message('gas-1', reading(i)));
    const { spoolBytes, spoolDepth } = first.ingest.stats();
    await first.ingest.close();
    const down = new MemoryReadingStore();
    down.failing = true;
    const second = await startIngest(tmp.dir, { spoolMaxBytes: spoolBytes + 10, store: down });
    cleanups.push(() => second.ingest.close());
    expect(second.ingest.stats()).toMatchObject({ spoolBytes, spoolDepth });
    expect(await handle(second.ingest, message('gas-1', reading(100)))).toBeInstanceOf(IngestUnavailableError);
  });

  it('takes nothing before start, while draining or after close', async () => {
    const r = await rig();
    const p1 = handle(r.ingest, message('gas-1', reading(1))); // pending in this turn: drain commits it
    await r.ingest.drain(Date.now() + 1000);
    expect(await p1).toBeUndefined();
    expect(await handle(r.ingest, message('gas-1', reading(2)))).toBeInstanceOf(IngestUnavailableError);
    await r.ingest.close();
    expect(await handle(r.ingest, message('gas-1', reading(3)))).toBeInstanceOf(IngestUnavailableError);
    expect(r.ingest.ready()).toBe(false);
    expect(await r.store.count()).toBe(1);
  });
});
