// Device status, the one owner of lastSeen, latest values, goodbyes and status events, on a real SQLite registry.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDeviceStatus, type DeviceStatusEvent, type DeviceStatusTracker } from '../../src/devices/index.js';
import { createSqliteStores, type SqliteStores } from '../../src/storage/index.js';
import { catalog, log, reading } from '../alerts/fixture.js';

const T0 = Date.UTC(2026, 0, 15, 8, 0, 0);

describe('device status', () => {
  let dir: string;
  let meta: SqliteStores;
  let status: DeviceStatusTracker | undefined;
  let clock = T0;
  let events: DeviceStatusEvent[];

  async function boot(): Promise<DeviceStatusTracker> {
    const s = createDeviceStatus({ catalog, registry: meta.devices, log, now: () => clock, graceMs: 0, checkSchedule: false });
    s.onStatus((e) => events.push(e));
    await s.start();
    return (status = s);
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'citysense-status-'));
    meta = createSqliteStores(dir);
    for (const id of ['w1', 'w2']) meta.devices.create({ id, domain: 'healthcare', type: 'wearable' }, 'hmac-sha256$x');
    events = [];
    clock = T0;
  });
  afterEach(async () => {
    await status?.stop();
    status = undefined;
    await meta.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("tells operators of each connection change with a lastSeen never behind what was accepted, before it is written", async () => {
    const s = await boot();
    s.connection({ deviceId: 'w1', status: 'online', at: T0 });
    s.record([reading('w1', 'healthcare', 'wearable', T0 + 5, { heart_rate: 71 }, T0 + 10)]);
    s.connection({ deviceId: 'w1', status: 'offline', at: T0 + 20 });
    expect(events).toEqual([
      { deviceId: 'w1', status: 'online', lastSeen: undefined },
      { deviceId: 'w1', status: 'offline', lastSeen: T0 + 10 },
    ]);
    // The REST view has it too, latest value included, while the registry row is still behind (written in batches).
    expect(meta.devices.get('w1')!.lastSeen).toBeUndefined();
    expect(s.view(meta.devices.get('w1')!)).toEqual({ status: 'offline', lastSeen: T0 + 10, latest: { heart_rate: { v: 71, t: T0 + 5 } }, clockSkewMs: -5 });
    await s.stop();
    expect(meta.devices.get('w1')).toMatchObject({ lastSeen: T0 + 10, latest: { heart_rate: { v: 71, t: T0 + 5 } } });
  });

  it('announces stale once per episode: again after data and a new silence, never while away after a goodbye', async () => {
    const s = await boot();
    s.record([reading('w1', 'healthcare', 'wearable', T0, { heart_rate: 70 }), reading('w2', 'healthcare', 'wearable', T0, { heart_rate: 70 })]);
    s.connection({ deviceId: 'w2', status: 'online', at: T0 });
    s.connection({ deviceId: 'w2', status: 'offline', at: T0 + 1, clean: true });
    events.length = 0;
    const stale = () => events.filter((e) => e.status === 'stale').map((e) => [e.deviceId, e.lastSeen]);
    for (const at of [T0 + 30_000, T0 + 30_001, T0 + 60_000]) {
      clock = at;
      s.check();
    }
    expect(stale()).toEqual([['w1', T0]]);
    clock = T0 + 61_000;
    s.record([reading('w1', 'healthcare', 'wearable', clock, { heart_rate: 72 })]);
    s.check();
    clock = T0 + 91_001;
    s.check();
    expect(stale()).toEqual([['w1', T0], ['w1', T0 + 61_000]]);
  });

  it('keeps a goodbye across a restart, and data after it ends it (also across a restart)', async () => {
    let s = await boot();
    s.record([reading('w1', 'healthcare', 'wearable', T0, { heart_rate: 70 }), reading('w2', 'healthcare', 'wearable', T0, { heart_rate: 70 })]);
    s.said({ deviceId: 'w1', status: 'offline', at: T0 + 1 });
    s.said({ deviceId: 'w2', status: 'offline', at: T0 + 1 });
    await s.stop();
    expect(meta.devices.get('w1')!.leftAt).toBe(T0 + 1);

    clock = T0 + 3_600_000;
    s = await boot();
    s.record([reading('w2', 'healthcare', 'wearable', clock, { heart_rate: 70 })]); // data after its goodbye
    clock += 30_001;
    expect([s.isStale('w1', 30_000, clock), s.isStale('w2', 30_000, clock)]).toEqual([false, true]);
    await s.stop();
    expect([meta.devices.get('w1')!.leftAt, meta.devices.get('w2')!.leftAt]).toEqual([T0 + 1, undefined]);
  });

  it('forgets a deleted device: not stale, nothing written for it', async () => {
    const s = await boot();
    s.record([reading('w1', 'healthcare', 'wearable', T0, { heart_rate: 70 })]);
    meta.devices.delete('w1');
    s.forget('w1');
    clock = T0 + 3_600_000;
    s.check();
    expect([s.isStale('w1', 30_000, clock), s.lastSeen('w1'), events]).toEqual([false, undefined, []]);
  });
});
