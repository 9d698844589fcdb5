import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { eventually, startTestApp, type Sensor, type TestApp } from '../fixtures/app.js';
import { openBrowser, screenshot, signIn, type ConsoleBrowser } from './browser.js';

// The operator console in a real (headless) Chromium against a whole citysense: sign-in, the live board,
// ack seen by a second browser, roles, and the device page's chart.
describe('the operator console', () => {
  let t: TestApp;
  let operator: string;
  let dayShift: string;
  let viewer: string;
  let a: ConsoleBrowser;
  let b: ConsoleBrowser | undefined;
  let gas: Sensor;
  const browsers: ConsoleBrowser[] = [];

  const open = async () => {
    const br = await openBrowser(t.httpUrl);
    browsers.push(br);
    return br;
  };
  const row = (page: Page, deviceId: string) => page.locator(`.alerts-table tr[data-device="${deviceId}"]`);

  beforeAll(async () => {
    t = await startTestApp('sqlite');
    const token = async (name: string, role: string) => (await t.api('POST', '/api/tokens', { name, role })).body.token as string;
    operator = await token('night shift', 'operator');
    dayShift = await token('day shift', 'operator');
    viewer = await token('wall screen', 'viewer');
    gas = await t.sensor('safety', 'gas', { district: 'Xingqing', name: 'Gulou gas', location: { lat: 38.476, lon: 106.292 } });
    a = await open();
  }, 60_000);

  afterAll(async () => {
    for (const br of browsers) await br.close();
    await t?.close();
  });

  it('is served at / with a policy that keeps it self-contained', async () => {
    const res = await fetch(`${t.httpUrl}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    // This origin only: 'self' covers its WebSockets (the sign-in test sees Socket.IO upgrade to one).
    expect(csp).toMatch(/(^|;)\s*connect-src 'self'\s*(;|$)/);
    expect(csp).not.toContain('upgrade-insecure-requests');
    // Unknown API paths still answer the API's JSON 404, not the page.
    const missing = await t.api('GET', '/api/no-such-thing');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('not_found');
  });

  it('tells a token its name and role (GET /api/whoami)', async () => {
    expect((await t.api('GET', '/api/whoami', undefined, viewer)).body).toEqual({ name: 'wall screen', role: 'viewer' });
    expect((await t.api('GET', '/api/whoami', undefined, operator)).body).toEqual({ name: 'night shift', role: 'operator' });
    expect((await t.api('GET', '/api/whoami', undefined, null)).status).toBe(401);
  });

  it('signs in with a token kept for the tab only, and refuses a wrong one', async () => {
    const { page } = a;
    await page.fill('#token', 'not-a-token');
    await page.click('button[type=submit]');
    await expect(page.locator('.form-error').textContent()).resolves.toContain('not valid');
    a.problems.length = 0; // the refused token's 401, on purpose

    await signIn(page, operator);
    await expect(page.locator('[data-testid=role]').textContent()).resolves.toBe('operator');
    // Socket.IO upgraded to a WebSocket on this origin under connect-src 'self' (not left on long polling).
    const wsUrl = `${t.httpUrl.replace(/^http/, 'ws')}/socket.io/`;
    const ws = await eventually(() => a.websockets.find((w) => w.url.startsWith(wsUrl) && w.url.includes('transport=websocket') && w.received > 0), 'the console\'s Socket.IO WebSocket to carry frames');
    expect(ws!.error).toBeUndefined();
    expect(a.problems).toEqual([]);
    expect(await page.evaluate('[sessionStorage.getItem("citysense.token"), JSON.stringify(localStorage)]')).toEqual([operator, expect.not.stringContaining(operator)]);
    // A reload keeps the session (same tab).
    await page.reload();
    await page.waitForSelector('[data-testid=live-status][data-status=live]');
  });

  it('shows a breach on the board within a second, without reload, and flashes for it', async () => {
    const { page } = a;
    await page.goto(`${t.httpUrl}/#/alerts`);
    await page.waitForSelector('[data-testid=live-status][data-status=live]');
    // A mark on the window survives only if the page is not reloaded.
    await page.evaluate('window.__sameLoad = true');
    const alarmsBefore = Number(await page.locator('.shell').getAttribute('data-alarms'));

    await gas.send({ co: 180, ch4: 3 });
    const acked = Date.now();
    await row(page, gas.id).waitFor({ timeout: 1000 });
    expect(Date.now() - acked).toBeLessThan(1000);

    const r = row(page, gas.id);
    expect(await r.getAttribute('data-severity')).toBe('critical');
    expect(await r.getAttribute('data-state')).toBe('firing');
    await expect(r.textContent()).resolves.toContain('180 ppm');
    expect(await r.getAttribute('class')).toContain('flash');
    await page.waitForSelector('[data-testid=critical-banner]');
    expect(Number(await page.locator('.shell').getAttribute('data-alarms'))).toBe(alarmsBefore + 1);
    expect(await page.evaluate('window.__sameLoad')).toBe(true);

    // A second, warning-level breach sorts below the critical one.
    const flood = await t.sensor('safety', 'flood', { district: 'Jinfeng', location: { lat: 38.47, lon: 106.22 } });
    await t.api('PUT', '/api/rules/flood-warning', {
      name: 'flood warning', match: { domain: 'safety', type: 'flood' }, metric: 'water_level',
      condition: { op: '>', value: 150 }, clear: { op: '<', value: 140 }, for: '0', severity: 'warning',
    });
    await flood.send({ water_level: 190 });
    await row(page, flood.id).waitFor({ timeout: 2000 });
    const order = await page.locator('.alerts-table tbody tr').evaluateAll((rows) => rows.map((el) => el.getAttribute('data-severity')));
    expect(order).toEqual(['critical', 'warning']);
    await page.mouse.move(0, 0);
    await screenshot(page, 'board');
  });

  it('an ack in one browser changes the state in a second browser within a second', async () => {
    b = await open();
    await signIn(b.page, dayShift);
    await row(b.page, gas.id).waitFor();
    expect(await row(b.page, gas.id).getAttribute('data-state')).toBe('firing');

    await row(a.page, gas.id).locator('[data-action=ack]').click();
    const clicked = Date.now();
    await b.page.waitForSelector(`.alerts-table tr[data-device="${gas.id}"][data-state=acknowledged]`, { timeout: 1000 });
    expect(Date.now() - clicked).toBeLessThan(1000);
    await expect(row(b.page, gas.id).textContent()).resolves.toContain('night shift');
    // The ack shows in both feeds, once.
    for (const page of [a.page, b.page]) {
      await page.waitForSelector(`.feed-item[data-kind=acknowledged][data-alert-id]`);
      expect(await page.locator('.feed-item[data-kind=acknowledged]').count()).toBe(1);
    }
    await expect(row(a.page, gas.id).locator('[data-action=ack]').count()).resolves.toBe(0);
  });

  it('shows a viewer the board without ack, resolve or silence buttons', async () => {
    const page = b!.page;
    await page.click('text=Sign out');
    expect(await page.evaluate('sessionStorage.getItem("citysense.token")')).toBeNull();
    await signIn(page, viewer);
    await expect(page.locator('[data-testid=role]').textContent()).resolves.toBe('viewer');
    await row(page, gas.id).waitFor();
    expect(await page.locator('.alerts-table tbody tr').count()).toBe(2);
    expect(await page.locator('[data-action]').count()).toBe(0);
    await page.goto(`${t.httpUrl}/#/silences`);
    await page.waitForSelector('.page.silences');
    expect(await page.locator('.silence-form').count()).toBe(0);
    await page.goto(`${t.httpUrl}/#/devices/${gas.id}`);
    await page.waitForSelector('.device-page');
    await page.waitForSelector(`.device-page tr[data-alert-id]`);
    expect(await page.locator('[data-action]').count()).toBe(0);
  });

  it('draws the published values on the device page, with range and aggregation pickers, and goes on live', async () => {
    const air = await t.sensor('safety', 'air', { district: 'Xixia', name: 'Xixia school air', location: { lat: 38.5, lon: 106.12 } });
    const values = [21, 34, 48, 57, 66, 52];
    const start = Date.now() - values.length * 60_000;
    for (const [i, v] of values.entries()) await air.send({ pm25: v, pm10: v * 1.6, no2: 18 + i }, start + i * 60_000);
    // Acknowledged means spooled; the store has them a moment later (the writer gathers small commits).
    await eventually(async () => (await t.app.parts.readings.count(air.id)) === values.length, 'the readings stored');

    const { page } = a;
    await page.goto(`${t.httpUrl}/#/devices/${air.id}`);
    const chart = page.locator('.chart-card[data-metric=pm25] .chart');
    await page.waitForSelector(`.chart-card[data-metric=pm25] .chart[data-points="${values.length}"]`);
    expect(await chart.getAttribute('data-min')).toBe('21');
    expect(await chart.getAttribute('data-max')).toBe('66');
    expect(await chart.getAttribute('data-last')).toBe('52');
    await expect(page.locator('.metric-tile[data-metric=pm25] .metric-value').textContent()).resolves.toBe('52µg/m³');
    expect(await plottedPixels(page, 'pm25', [53, 208, 186])).toBeGreaterThan(100);

    // A live reading extends the chart without a reload.
    await air.send({ pm25: 61, pm10: 90, no2: 25 });
    await page.waitForSelector(`.chart-card[data-metric=pm25] .chart[data-points="${values.length + 1}"]`, { timeout: 3000 });
    expect(await chart.getAttribute('data-last')).toBe('61');
    await page.mouse.move(0, 0);
    await screenshot(page, 'device');

    // Aggregates: the maximum per bucket over 6 hours.
    await page.selectOption('select[data-agg]', 'max');
    await page.click('button[data-range="6h"]');
    await page.waitForSelector('text=max per 2m');
    await page.waitForSelector('.chart-card[data-metric=pm25] .chart[data-max="66"]');
    await page.selectOption('select[data-agg]', 'auto');
    await page.click('button[data-range="1h"]');
  });

  it('lists devices with status and latest values, and places them on the city map', async () => {
    const { page } = a;
    await page.goto(`${t.httpUrl}/#/devices`);
    const gasRow = page.locator(`tr[data-device-id="${gas.id}"]`);
    // The list reloads when the page opens: last seen and latest values come with it.
    await gasRow.filter({ hasText: '180 ppm' }).waitFor({ timeout: 3000 });
    expect(await gasRow.getAttribute('data-status')).toBe('online');
    await expect(gasRow.textContent()).resolves.toMatch(/just now|\d+s ago/);
    await page.click('[data-filter-status=offline]');
    await gasRow.waitFor({ state: 'detached' });
    await page.click('[data-filter-status=offline]');

    await page.goto(`${t.httpUrl}/#/map`);
    const point = page.locator(`.city-map g.pt[data-device-id="${gas.id}"]`);
    await point.waitFor();
    expect(await point.getAttribute('data-status')).toBe('online');
    expect(await point.getAttribute('data-alert')).toBe('critical');
    expect(await page.locator('.city-map path.district').count()).toBe(6);
    await screenshot(page, 'map');

    // The device goes offline: the map follows without a reload.
    await gas.client.endAsync(true);
    await page.waitForSelector(`.city-map g.pt[data-device-id="${gas.id}"][data-status=offline]`, { timeout: 5000 });
  });

  it('creates and ends a silence', async () => {
    const { page } = a;
    await page.goto(`${t.httpUrl}/#/silences?deviceId=${gas.id}&ruleId=carbon-monoxide`);
    await page.fill('.silence-form input[maxlength="500"]', 'sensor replacement');
    await page.click('.silence-form button[type=submit]');
    const silence = page.locator('tr[data-silence-id]');
    await silence.waitFor();
    await expect(silence.textContent()).resolves.toContain(gas.id);
    expect((await t.api('GET', '/api/silences')).body.items).toHaveLength(1);
    await silence.locator('[data-action=end-silence]').click();
    await silence.waitFor({ state: 'detached' });
    expect((await t.api('GET', '/api/silences')).body.items).toHaveLength(0);
  });

  it('loaded nothing from elsewhere and hit no error or policy violation', () => {
    for (const br of browsers) {
      expect(br.problems).toEqual([]);
      expect(br.requests.filter((u) => !u.startsWith(t.httpUrl) && !u.startsWith('data:') && !u.startsWith(t.httpUrl.replace('http', 'ws')))).toEqual([]);
    }
  });
});

/** How many pixels of the metric's canvas carry the series colour (the line and its points were drawn). */
async function plottedPixels(page: Page, metric: string, rgb: [number, number, number]): Promise<number> {
  return page.locator(`.chart-card[data-metric=${metric}] canvas`).evaluate((el, [r, g, b]) => {
    const canvas = el as unknown as { width: number; height: number; getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } };
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    let n = 0;
    for (let i = 0; i < data.length; i += 4) if (Math.abs(data[i]! - r) < 12 && Math.abs(data[i + 1]! - g) < 12 && Math.abs(data[i + 2]! - b) < 12 && data[i + 3]! > 200) n++;
    return n;
  }, rgb);
}
