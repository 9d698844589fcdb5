import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { eventually, startTestApp, type TestApp } from '../fixtures/app.js';
import { openBrowser, signIn, type ConsoleBrowser } from './browser.js';

// The console's Export links in a real Chromium: a device's page exports that device over the chart's range, the
// devices list the fleet its domain/type/district filters show; a click downloads the file with the session's token.
describe('the console export links', () => {
  let t: TestApp;
  let b: ConsoleBrowser;
  let gasId: string;

  beforeAll(async () => {
    t = await startTestApp('sqlite');
    const gas = await t.sensor('safety', 'gas', { district: 'Xixia' });
    gasId = gas.id;
    await t.device('safety', 'noise', { district: 'Jinfeng' });
    for (let i = 0; i < 3; i++) await gas.send({ co: 5 + i, ch4: 1 }, Date.now() - 10 * 60_000 + i * 30_000);
    await eventually(async () => (await t.api('GET', '/api/stats')).body.readings.stored >= 3, 'readings stored', 20_000);
    b = await openBrowser(t.httpUrl);
    await signIn(b.page, t.adminToken);
  }, 60_000);
  afterAll(async () => {
    await b?.close();
    await t?.close();
  });

  const params = (href: string | null) => Object.fromEntries(new URL(href!, t.httpUrl).searchParams);

  it("a device's page links its export over the chart's range, and a click saves the CSV", async () => {
    await b.page.goto(`${t.httpUrl}/#/devices/${encodeURIComponent(gasId)}`);
    await b.page.click('[data-range="1h"]');
    const csv = b.page.locator('.history [data-export=csv]');
    await csv.waitFor();
    expect(new URL(await csv.getAttribute('href') ?? '', t.httpUrl).pathname).toBe('/api/export/readings');
    expect(params(await csv.getAttribute('href'))).toEqual({ deviceId: gasId, from: '-1h', format: 'csv' });
    expect(params(await b.page.locator('.history [data-export=ndjson]').getAttribute('href'))).toMatchObject({ deviceId: gasId, format: 'ndjson' });
    const [download] = await Promise.all([b.page.waitForEvent('download'), csv.click()]);
    expect(download.suggestedFilename()).toMatch(new RegExp(`^citysense-readings-${gasId}-\\d{8}T\\d{6}Z-\\d{8}T\\d{6}Z\\.csv$`));
    const lines = readFileSync((await download.path())!, 'utf8').trim().split('\r\n');
    expect(lines[0]).toBe('ts,deviceId,domain,type,district,metric,value,unit');
    expect(lines.filter((l) => l.includes(',co,'))).toHaveLength(3);
  });

  it('the devices list links the export of the fleet its filters show', async () => {
    await b.page.goto(`${t.httpUrl}/#/devices`);
    await b.page.selectOption('select[aria-label=district]', 'Xixia');
    const csv = b.page.locator('.toolbar [data-export=csv]');
    await eventually(async () => params(await csv.getAttribute('href')).district === 'Xixia', 'the link follows the filter');
    expect(params(await csv.getAttribute('href'))).toEqual({ from: '-24h', district: 'Xixia', format: 'csv' });
    expect(b.problems).toEqual([]);
  });
});
