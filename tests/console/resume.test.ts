import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../fixtures/app.js';
import { openBrowser, screenshot, signIn, type ConsoleBrowser } from './browser.js';
import { startCuttableLink, type CuttableLink } from './proxy.js';

// The browser reaches citysense through a link the test cuts and restores: alerts raised, acknowledged and
// resolved while it is down reach the board after it is back, each exactly once (Socket.IO `since`).
describe('the console after a dropped connection', () => {
  let t: TestApp;
  let link: CuttableLink;
  let br: ConsoleBrowser;

  const liveStatus = (page: Page) => page.locator('[data-testid=live-status]').getAttribute('data-status');
  const boardRows = (page: Page, deviceId: string) => page.locator(`.alerts-table tr[data-device="${deviceId}"]`).count();
  const feed = (page: Page) =>
    page.locator('.feed-item').evaluateAll((items) => items.map((el) => ({ eventId: el.getAttribute('data-event-id'), alertId: el.getAttribute('data-alert-id'), kind: el.getAttribute('data-kind') })));
  const alertOf = async (deviceId: string) => {
    const res = await t.api('GET', `/api/alerts?deviceId=${deviceId}`);
    return res.body.items[0] as { id: number; state: string };
  };

  beforeAll(async () => {
    t = await startTestApp('sqlite');
    link = await startCuttableLink(Number(new URL(t.httpUrl).port));
    br = await openBrowser(link.url);
  }, 60_000);

  afterAll(async () => {
    await br?.close();
    await link?.close();
    await t?.close();
  });

  it('shows the alerts raised while the socket was cut once, and what changed meanwhile, after it is restored', async () => {
    const operator = (await t.api('POST', '/api/tokens', { name: 'night shift', role: 'operator' })).body.token;
    const before = await t.sensor('safety', 'gas', { district: 'Xingqing' });
    const during = await t.sensor('safety', 'smoke', { district: 'Jinfeng' });
    const fleeting = await t.sensor('safety', 'structure', { district: 'Helan' });
    const handled = await t.sensor('safety', 'gas', { district: 'Xixia' });
    const { page } = br;
    await signIn(page, operator);
    await page.evaluate('window.__sameLoad = true'); // survives only if the page is never reloaded

    await before.send({ co: 120, ch4: 1 });
    await handled.send({ co: 90, ch4: 1 });
    await page.waitForSelector(`.alerts-table tr[data-device="${before.id}"]`, { timeout: 2000 });
    await page.waitForSelector(`.alerts-table tr[data-device="${handled.id}"]`, { timeout: 2000 });

    link.cut();
    await page.waitForSelector('[data-testid=live-status][data-status=reconnecting]', { timeout: 5000 });

    // Meanwhile: a new alert; one that fires and clears; one acknowledged and one resolved by someone else.
    await during.send({ obscuration: 30, temp: 45 });
    await fleeting.send({ vibration: 40, tilt: 1 });
    await fleeting.send({ vibration: 3, tilt: 1 });
    expect((await t.api('POST', `/api/alerts/${(await alertOf(handled.id)).id}/ack`, { note: 'crew on site' })).status).toBe(200);
    expect((await t.api('POST', `/api/alerts/${(await alertOf(before.id)).id}/resolve`, {})).status).toBe(200);
    expect((await alertOf(fleeting.id)).state).toBe('resolved');
    // Nothing of it can reach the page while the link is down.
    await page.waitForSelector('[data-testid=connection-banner]', { timeout: 5000 });
    expect(await boardRows(page, during.id)).toBe(0);
    await screenshot(page, 'board-reconnecting');

    link.restore();
    await page.waitForSelector('[data-testid=live-status][data-status=live]', { timeout: 10_000 });
    await page.locator('[data-testid=connection-banner]').waitFor({ state: 'detached' });
    await page.waitForSelector(`.alerts-table tr[data-device="${during.id}"]`, { timeout: 2000 });
    await page.waitForSelector(`.alerts-table tr[data-device="${handled.id}"][data-state=acknowledged]`, { timeout: 2000 });
    await page.locator(`.alerts-table tr[data-device="${before.id}"]`).waitFor({ state: 'detached', timeout: 2000 });
    expect(await page.evaluate('window.__sameLoad')).toBe(true);

    // Each alert once on the board; each transition once in the feed, the missed ones included.
    expect(await boardRows(page, during.id)).toBe(1);
    expect(await boardRows(page, handled.id)).toBe(1);
    expect(await boardRows(page, fleeting.id)).toBe(0);
    const entries = await feed(page);
    expect(new Set(entries.map((e) => e.eventId)).size).toBe(entries.length);
    const kinds = (deviceAlert: { id: number }) => entries.filter((e) => e.alertId === String(deviceAlert.id)).map((e) => e.kind).sort();
    expect(kinds(await alertOf(during.id))).toEqual(['fired']);
    expect(kinds(await alertOf(fleeting.id))).toEqual(['fired', 'resolved']);
    expect(kinds(await alertOf(handled.id))).toEqual(['acknowledged', 'fired']);
    expect(kinds(await alertOf(before.id))).toEqual(['fired', 'resolved']);
    // The new critical alerts missed while away were announced (smoke and the structural one).
    expect(Number(await page.locator('.shell').getAttribute('data-alarms'))).toBe(4);

    // Cut again right away and restore: still nothing doubled.
    link.cut();
    await page.waitForSelector('[data-testid=live-status][data-status=reconnecting]', { timeout: 5000 });
    link.restore();
    await page.waitForSelector('[data-testid=live-status][data-status=live]', { timeout: 10_000 });
    await page.waitForTimeout(300);
    expect(await boardRows(page, during.id)).toBe(1);
    expect(await feed(page)).toEqual(entries);
    expect(await liveStatus(page)).toBe('live');
    await page.mouse.move(0, 0);
    await screenshot(page, 'board-resumed');
  });
});
