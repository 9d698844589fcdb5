import { afterAll, describe, expect, it } from '@jest/globals';
import { IngestUnavailableError, MAX_RECEIVE_DRIFT_MS } from '../../src/ingest/index.js';
import { handle, message, startIngest, tempDir, until, type Rig } from './fakes.js';

// Readings without a device timestamp take the receive time, spread 1 ms apart per device (a store keeps one point
// per device and millisecond); how far ahead that spread may run, and how a restart stays clear of it.
describe('receive times of readings without a device timestamp', () => {
  const open: Rig[] = [];
  const dirs: Array<{ remove: () => void }> = [];
  afterAll(async () => {
    for (const r of open) await r.ingest.close();
    for (const d of dirs) d.remove();
  });
  const rig = async (dir: string) => {
    const r = await startIngest(dir);
    open.push(r);
    return r;
  };
  const flat = (id: string, at: number, co: number) => message(id, JSON.stringify({ co }), { receivedAt: at });
  const storedTimes = (r: Rig, id: string) => [...r.store.points.values()].filter((p) => p.deviceId === id).map((p) => p.ts).sort((a, b) => a - b);

  it(`takes a burst until it runs ${MAX_RECEIVE_DRIFT_MS} ms ahead, then answers too_fast without a PUBACK rather than overwrite`, async () => {
    const tmp = tempDir();
    dirs.push(tmp);
    const r = await rig(tmp.dir);
    const at = Date.now();
    const answers = await Promise.all(Array.from({ length: MAX_RECEIVE_DRIFT_MS + 3 }, (_, i) => handle(r.ingest, flat('burst', at, i % 100))));
    const refused = answers.filter((a) => a !== undefined);
    expect(refused).toHaveLength(2);
    expect(refused[0]).toBeInstanceOf(IngestUnavailableError);
    expect((refused[0] as IngestUnavailableError).code).toBe('too_fast');
    expect(r.ingest.stats().refused.too_fast).toBe(2);
    await until(() => r.ingest.stats().spoolDepth === 0, 'the spool to drain');
    expect(storedTimes(r, 'burst')).toEqual(Array.from({ length: MAX_RECEIVE_DRIFT_MS + 1 }, (_, i) => at + i));
    // Once the clock has moved on, the device is taken again.
    expect(await handle(r.ingest, flat('burst', at + MAX_RECEIVE_DRIFT_MS + 5, 1))).toBeUndefined();
  });

  it('starts after a clean stop only once the clock is past the times the last run gave', async () => {
    const tmp = tempDir();
    dirs.push(tmp);
    const first = await rig(tmp.dir);
    const at = Date.now();
    await Promise.all(Array.from({ length: 400 }, (_, i) => handle(first.ingest, flat('restart', at, i % 100))));
    const horizon = at + 399;
    await first.ingest.drain(Date.now() + 5000);
    const lastBefore = storedTimes(first, 'restart').at(-1)!;
    expect(lastBefore).toBe(horizon);
    await first.ingest.close();

    const second = await rig(tmp.dir); // start() returns only after the clock passed `horizon`
    expect(Date.now()).toBeGreaterThan(horizon);
    expect(await handle(second.ingest, flat('restart', Date.now(), 7))).toBeUndefined();
    await until(() => second.ingest.stats().spoolDepth === 0, 'the spool to drain');
    expect(storedTimes(second, 'restart')[0]).toBeGreaterThan(lastBefore);
  });

  it(`waits ${MAX_RECEIVE_DRIFT_MS} ms after a run that ended without stopping (killed), and not for a fresh spool`, async () => {
    const tmp = tempDir();
    dirs.push(tmp);
    let started = Date.now();
    const fresh = await rig(tmp.dir);
    expect(Date.now() - started).toBeLessThan(MAX_RECEIVE_DRIFT_MS / 2);
    await handle(fresh.ingest, flat('killed', Date.now(), 1));
    // `fresh` is never closed before the next one opens the same spool: as after kill -9, it left no stop marker.
    started = Date.now();
    await rig(tmp.dir);
    expect(Date.now() - started).toBeGreaterThanOrEqual(MAX_RECEIVE_DRIFT_MS);
  });
});
