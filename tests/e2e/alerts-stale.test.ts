// The stale-device sweep end to end: a catalog type reporting every second (CATALOG_FILE, extend mode),
// a sweep every second and no grace period, so "no data for 3 intervals" takes 3 s.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApp, type TestApp } from '../fixtures/app.js';

describe('device stale alerts (no_data sweep), end to end', () => {
  let t: TestApp;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'citysense-stale-'));
    const catalogFile = join(dir, 'catalog.json');
    writeFileSync(catalogFile, JSON.stringify({
      mode: 'extend',
      types: [{ domain: 'safety', type: 'beacon', interval: '1s', metrics: { battery: { unit: '%', min: 0, max: 100 } } }],
    }));
    t = await startTestApp('sqlite', { CATALOG_FILE: catalogFile, ALERT_STALE_GRACE: '0', ALERT_SWEEP_SCHEDULE: '* * * * * *' });
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const alertsOf = async (deviceId: string): Promise<any[]> => (await t.api('GET', `/api/alerts?deviceId=${deviceId}`)).body.items;

  it('fires for a device silent for 3 intervals, not for one never seen or deleted, and resolves when it talks again', async () => {
    const c = await t.live();
    const never = await t.device('safety', 'beacon');
    const deleted = await t.sensor('safety', 'beacon');
    await deleted.send({ battery: 80 });
    expect((await t.api('DELETE', `/api/devices/${deleted.id}`)).status).toBe(204);

    const s = await t.sensor('safety', 'beacon', { district: 'Jinfeng' });
    await s.send({ battery: 90 });
    const lastSent = Date.now();

    const fired = await c.waitFor((e) => e.event === 'alert:fired' && e.payload.deviceId === s.id, 'a device stale alert', 15_000);
    expect(fired.at - lastSent).toBeGreaterThanOrEqual(3000);
    expect(fired.payload).toMatchObject({ ruleId: 'device-stale', severity: 'warning', state: 'firing', metric: null, district: 'Jinfeng', threshold: 3 });
    const status = await c.waitFor((e) => e.event === 'device:status' && e.payload.deviceId === s.id && e.payload.status === 'stale', 'device:status stale');
    expect(Date.parse(status.payload.lastSeen)).toBeLessThanOrEqual(lastSent);

    // The same sweep saw the others (the deleted one went quiet earlier): neither has an alert.
    await c.subscribe({});
    expect(await alertsOf(never.id)).toEqual([]);
    expect(await alertsOf(deleted.id)).toEqual([]);
    expect(c.events.filter((e) => e.event.startsWith('alert:') && e.payload.deviceId !== s.id && [never.id, deleted.id].includes(e.payload.deviceId))).toEqual([]);

    // Staying quiet raises nothing more; a reading resolves it.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await alertsOf(s.id)).toHaveLength(1);
    await s.send({ battery: 89 });
    const resolved = await c.waitFor((e) => e.event === 'alert:resolved' && e.payload.id === fired.payload.id, 'alert:resolved when data comes again');
    expect(resolved.payload).toMatchObject({ state: 'resolved', resolvedBy: 'system' });
    const [alert] = await alertsOf(s.id);
    expect(alert).toMatchObject({ id: fired.payload.id, state: 'resolved' });
    expect(c.events.filter((e) => e.event.startsWith('alert:') && e.payload.deviceId === s.id).map((e) => e.event)).toEqual(['alert:fired', 'alert:resolved']);
    c.close();
  }, 30_000);
});
