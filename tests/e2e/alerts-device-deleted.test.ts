// Deleting a device reaches the alert engine at once (the API's delete calls it), not at the stale sweep's next tick:
// the sweep is scheduled once a year here, so only the delete itself can resolve the device's open alert.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../fixtures/app.js';

describe('deleting a device with an open alert, end to end', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp('sqlite', { ALERT_SWEEP_SCHEDULE: '0 0 0 1 1 *' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('resolves its open alert (actor system, note "device deleted") as it is deleted, without a sweep', async () => {
    const c = await t.live();
    const kept = await t.sensor('safety', 'gas');
    const gone = await t.sensor('safety', 'gas');
    await kept.send({ co: 80 });
    await gone.send({ co: 80 });
    const [alert] = (await t.api('GET', `/api/alerts?deviceId=${gone.id}`)).body.items;
    expect(alert).toMatchObject({ ruleId: 'carbon-monoxide', state: 'firing' });
    await c.waitFor((e) => e.event === 'alert:fired' && e.payload.id === alert.id, 'alert:fired');

    expect((await t.api('DELETE', `/api/devices/${gone.id}`)).status).toBe(204);
    // Answered by the time the delete is: the alert is resolved already.
    const after = (await t.api('GET', `/api/alerts/${alert.id}`)).body;
    expect(after).toMatchObject({ id: alert.id, state: 'resolved', resolvedBy: 'system', resolvedById: null });
    expect(after.transitions.map((x: any) => [x.kind, x.actor, x.note])).toEqual([['fired', 'system', undefined], ['resolved', 'system', 'device deleted']]);
    const resolved = await c.waitFor((e) => e.event === 'alert:resolved' && e.payload.id === alert.id, 'alert:resolved on delete');
    expect(resolved.payload).toMatchObject({ deviceId: gone.id, state: 'resolved' });

    // The other device's alert is untouched; the deleted one's is no longer active.
    const active = (await t.api('GET', '/api/alerts?state=active')).body.items.map((a: any) => a.deviceId);
    expect(active).toContain(kept.id);
    expect(active).not.toContain(gone.id);
    c.close();
  }, 30_000);
});
