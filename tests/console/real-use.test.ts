// The operator console's defects from real use (issue 15), in a real Chromium against a whole citysense: a stale
// alert's silence counted from the device's last data, a device page that leads with its alerts and colours its
// values, the devices list sorted and filtered by alerts, map rings that show and tell firing from acknowledged,
// and bulk ack/resolve on the board with partial failures reported.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { eventually, startTestApp, type Sensor, type TestApp } from '../fixtures/app.js';
import { openBrowser, screenshot, signIn, type ConsoleBrowser } from './browser.js';

describe('the operator console, as real use found it', () => {
  let t: TestApp;
  let dir: string;
  let br: ConsoleBrowser;
  let page: Page;
  let gas: Sensor;
  let flood: Sensor;
  let quiet: Sensor;

  const alertOf = async (deviceId: string) => (await t.api('GET', `/api/alerts?deviceId=${deviceId}&state=active`)).body.items[0] as { id: number; state: string };
  const row = (deviceId: string) => page.locator(`.alerts-table tr[data-device="${deviceId}"]`);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'citysense-console-use-'));
    const catalogFile = join(dir, 'catalog.json');
    // A type reporting every 3 s, so "silent for 3 intervals" takes 9 s; a sweep every second, no grace.
    writeFileSync(catalogFile, JSON.stringify({
      mode: 'extend',
      types: [{ domain: 'safety', type: 'beacon', interval: '3s', metrics: { battery: { unit: '%', min: 0, max: 100 } } }],
    }));
    t = await startTestApp('sqlite', { CATALOG_FILE: catalogFile, ALERT_STALE_GRACE: '0', ALERT_SWEEP_SCHEDULE: '* * * * * *' });
    await t.api('PUT', '/api/rules/flood-warning', {
      name: 'flood warning', match: { domain: 'safety', type: 'flood' }, metric: 'water_level',
      condition: { op: '>', value: 150 }, clear: { op: '<', value: 140 }, for: '0', severity: 'warning',
    });
    const operator = (await t.api('POST', '/api/tokens', { name: 'night shift', role: 'operator' })).body.token as string;
    gas = await t.sensor('safety', 'gas', { district: 'Xingqing', location: { lat: 38.47, lon: 106.3 } });
    flood = await t.sensor('safety', 'flood', { district: 'Yongning', location: { lat: 38.28, lon: 106.25 } });
    quiet = await t.sensor('safety', 'noise', { district: 'Helan', location: { lat: 38.62, lon: 106.35 } });
    await gas.send({ co: 180, ch4: 3 });
    await flood.send({ water_level: 190 });
    await quiet.send({ level: 50 });
    br = await openBrowser(t.httpUrl);
    page = br.page;
    await signIn(page, operator);
  }, 60_000);

  afterAll(async () => {
    await br?.close();
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("says how long a stale device has been silent since its last data, not since its alert fired", async () => {
    const beacon = await t.sensor('safety', 'beacon', { district: 'Jinfeng' });
    await beacon.send({ battery: 90 });
    const lastSent = Date.now();
    await page.goto(`${t.httpUrl}/#/alerts`);
    await row(beacon.id).waitFor({ timeout: 20_000 });
    const text = (await row(beacon.id).locator('td.num .value').textContent())!;
    const shownAt = Date.now();
    // The alert fired a moment ago; the device went quiet 3 intervals (9 s) before that.
    expect(text).toMatch(/^\d+s$/);
    const seconds = Number(text.slice(0, -1));
    expect(seconds).toBeGreaterThanOrEqual(9);
    expect(seconds).toBeLessThanOrEqual(Math.ceil((shownAt - lastSent) / 1000) + 1);
    await expect(row(beacon.id).locator('td.num .muted').textContent()).resolves.toBe('silent');
  }, 40_000);

  it("puts a device's alerts at the top of its page, colours its status and the values that breach rules", async () => {
    const wearable = await t.sensor('healthcare', 'wearable', { district: 'Xixia' });
    // heart_rate 140 breaches the 130 rule, whose `for` (30 s) has not run out: no alert yet, the tile still shows it.
    await wearable.send({ heart_rate: 140, spo2: 97, body_temp: 36.8 });

    await page.goto(`${t.httpUrl}/#/devices/${gas.id}`);
    await page.waitForSelector('.device-page .device-alerts tr[data-alert-id][data-state=firing]');
    const status = page.locator('.device-head .status');
    expect(await status.getAttribute('data-alert')).toBe('critical');
    await expect(status.textContent()).resolves.toContain('critical');
    expect(await status.evaluate((el) => (globalThis as any).getComputedStyle(el).color)).toBe('rgb(255, 90, 103)'); // not the green of online
    await page.waitForSelector('.metric-tile[data-metric=co][data-breach=critical]');
    expect(await page.locator('.metric-tile[data-metric=ch4]').getAttribute('data-breach')).toBe('');
    // The alerts come before the values and the charts, and are on screen without scrolling.
    const order = await page.locator('.device-page > section').evaluateAll((els) => els.map((el) => el.className));
    expect(order[0]).toContain('device-alerts');
    const box = (await page.locator('.device-alerts').boundingBox())!;
    expect(box.y).toBeLessThan(900 - 60);
    await screenshot(page, 'device-alerts-first');

    await page.goto(`${t.httpUrl}/#/devices/${wearable.id}`);
    await page.waitForSelector('.metric-tile[data-metric=heart_rate][data-breach=critical]');
    expect(await page.locator('.metric-tile[data-metric=spo2]').getAttribute('data-breach')).toBe('');
    expect(await page.locator('.device-head .status').getAttribute('data-alert')).toBeNull();
  });

  it("colours a device's status in the devices list by its worst active alert, as its page does", async () => {
    await page.goto(`${t.httpUrl}/#/devices`);
    const pill = (id: string) => page.locator(`.devices-table tr[data-device-id="${id}"] .status`);
    await page.locator(`.devices-table tr[data-device-id="${gas.id}"] .status[data-alert=critical]`).waitFor({ timeout: 20_000 });
    await expect(pill(gas.id).textContent()).resolves.toContain('critical');
    const color = (id: string) => pill(id).evaluate((el) => (globalThis as any).getComputedStyle(el).color);
    expect(await color(gas.id)).toBe('rgb(255, 90, 103)'); // the device page's critical colour, not the green of online
    expect(await pill(flood.id).getAttribute('data-alert')).toBe('warning');
    expect(await pill(quiet.id).getAttribute('data-alert')).toBeNull(); // no alert: its plain presence
    await expect(pill(quiet.id).textContent()).resolves.toBe((await pill(quiet.id).getAttribute('data-status'))!);
  });

  it('sorts the devices list worst alerts first and filters it to devices with alerts', async () => {
    await page.goto(`${t.httpUrl}/#/devices`);
    await page.locator(`tr[data-device-id="${quiet.id}"]`).waitFor();
    await page.selectOption('select[data-sort]', 'alerts');
    const ids = () => page.locator('.devices-table tbody tr').evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-device-id'), r.getAttribute('data-alert')]));
    await eventually(async () => (await ids())[0]?.[1] === 'critical', 'the critical device first');
    const list = await ids();
    const rank = (a: string | null) => ({ critical: 3, warning: 2, info: 1 } as Record<string, number>)[a ?? ''] ?? 0;
    expect(list.map(([, a]) => rank(a))).toEqual([...list.map(([, a]) => rank(a))].sort((x, y) => y - x));
    const at = (id: string) => list.findIndex(([d]) => d === id);
    expect(at(gas.id)).toBeLessThan(at(flood.id));
    expect(at(flood.id)).toBeLessThan(at(quiet.id));

    await page.click('[data-filter-alerts]');
    await page.locator(`tr[data-device-id="${quiet.id}"]`).waitFor({ state: 'detached' });
    const filtered = await ids();
    expect(filtered.every(([, a]) => a !== '')).toBe(true);
    expect(filtered.map(([d]) => d)).toEqual(expect.arrayContaining([gas.id, flood.id]));
    await page.click('[data-filter-alerts]');
    await page.selectOption('select[data-sort]', 'id');
  });

  it('draws alert rings big enough to see at city zoom, and firing apart from acknowledged', async () => {
    await page.goto(`${t.httpUrl}/#/map`);
    const ring = (id: string) => page.locator(`.city-map g.pt[data-device-id="${id}"] circle.ring`);
    await ring(gas.id).waitFor();
    const firing = (await ring(gas.id).boundingBox())!;
    expect(firing.width).toBeGreaterThanOrEqual(30); // on screen, at the whole city's zoom
    expect(await page.locator(`.city-map g.pt[data-device-id="${gas.id}"]`).getAttribute('data-alert-state')).toBe('firing');

    const floodAlert = await alertOf(flood.id);
    expect((await t.api('POST', `/api/alerts/${floodAlert.id}/ack`, {})).status).toBe(200);
    await page.waitForSelector(`.city-map g.pt[data-device-id="${flood.id}"][data-alert-state=acknowledged]`);
    const style = (id: string) => ring(id).evaluate((el) => { const s = (globalThis as any).getComputedStyle(el); return { dash: s.strokeDasharray, width: s.strokeWidth }; });
    const [f, a] = [await style(gas.id), await style(flood.id)];
    expect(f.dash).toBe('none');
    expect(a.dash).not.toBe('none');
    expect(parseFloat(a.width)).toBeLessThan(parseFloat(f.width)); // (opacity pulses on a firing critical ring)
    expect((await ring(flood.id).boundingBox())!.width).toBeGreaterThanOrEqual(24);
    await screenshot(page, 'map-rings');
  });

  it('acknowledges and resolves several alerts at once, and reports the ones that failed', async () => {
    const many = await Promise.all(Array.from({ length: 6 }, () => t.sensor('safety', 'gas', { district: 'Lingwu' })));
    for (const s of many) await s.send({ co: 120, ch4: 2 });
    const ids = await eventually(async () => {
      const found = await Promise.all(many.map((s) => alertOf(s.id)));
      return found.every(Boolean) ? found.map((a) => a.id) : undefined;
    }, 'six carbon monoxide alerts') as number[];

    await page.goto(`${t.httpUrl}/#/alerts`);
    await page.selectOption('select[data-filter=district]', 'Lingwu');
    await eventually(async () => (await page.locator('.alerts-table tbody tr').count()) === 6, 'the six rows');
    await page.check('input[data-select=all]');
    await expect(page.locator('[data-testid=bulk-count]').textContent()).resolves.toBe('6 selected');

    // Two of the six acks fail on the way (the server answers 409 for them): the other four go through.
    const failing = new Set(ids.slice(0, 2));
    await page.route('**/api/alerts/*/ack', async (route) => {
      const id = Number(route.request().url().split('/').at(-2));
      if (!failing.has(id)) return route.continue();
      return route.fulfill({ status: 409, contentType: 'application/json', body: JSON.stringify({ error: { code: 'conflict', message: 'alert changed meanwhile' } }) });
    });
    await page.click('[data-bulk=ack]');
    const result = page.locator('[data-testid=bulk-result]');
    await result.waitFor();
    await expect(result.textContent()).resolves.toContain(`Acknowledged 4 of 6; 2 failed: #${ids[0]} (alert changed meanwhile), #${ids[1]} (alert changed meanwhile)`);
    expect(await result.getAttribute('class')).toContain('failed');
    const states = async () => Promise.all(ids.map(async (id) => (await t.api('GET', `/api/alerts/${id}`)).body.state));
    expect(await states()).toEqual(['firing', 'firing', 'acknowledged', 'acknowledged', 'acknowledged', 'acknowledged']);
    // The failed ones stay selected, to try again.
    await expect(page.locator('[data-testid=bulk-count]').textContent()).resolves.toBe('2 selected');
    await page.unroute('**/api/alerts/*/ack');
    await page.click('[data-bulk=ack]');
    await page.waitForSelector('[data-testid=bulk-result]:has-text("Acknowledged 2 of 2")');
    expect(await states()).toEqual(ids.map(() => 'acknowledged'));

    // Resolve asks for a second click, then resolves all six; the rows leave the board.
    await page.check('input[data-select=all]');
    await page.click('[data-bulk=resolve]');
    await page.waitForSelector('[data-bulk=resolve]:has-text("Resolve 6?")');
    await page.click('[data-bulk=resolve]');
    await page.waitForSelector('[data-testid=bulk-result]:has-text("Resolved 6 of 6")');
    await eventually(async () => (await page.locator('.alerts-table tbody tr').count()) === 0, 'the rows gone');
    expect(await states()).toEqual(ids.map(() => 'resolved'));
    await page.selectOption('select[data-filter=district]', '');
  }, 60_000);

  it('hit no page error along the way', () => {
    // The two refused acks are the only failed requests, on purpose.
    expect(br.problems.filter((p) => !p.includes('409'))).toEqual([]);
  });
});
