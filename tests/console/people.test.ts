// People in the console (docs/people.md), in a real Chromium: sign-in with a username and password, the person's
// name and scope in the header, a department's operator seeing only its part of the city on every page and on the
// live feed, the ops centre seeing all, acks credited to the person, and a disabled user's console signed out.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { startTestApp, type Sensor, type TestApp } from '../fixtures/app.js';
import { openBrowser, screenshot, type ConsoleBrowser } from './browser.js';

const PASSWORD = 'a long enough password';

describe('people in the operator console', () => {
  let t: TestApp;
  let heart: Sensor;
  let gas: Sensor;
  let healthUserId: string;
  const browsers: ConsoleBrowser[] = [];
  const row = (page: Page, deviceId: string) => page.locator(`.alerts-table tr[data-device="${deviceId}"]`);

  async function signInAs(username: string): Promise<ConsoleBrowser> {
    const br = await openBrowser(t.httpUrl);
    browsers.push(br);
    await br.page.fill('#username', username);
    await br.page.fill('#password', PASSWORD);
    await br.page.click('button[type=submit]');
    await br.page.waitForSelector('[data-testid=live-status][data-status=live]', { timeout: 10_000 });
    return br;
  }

  beforeAll(async () => {
    t = await startTestApp('sqlite');
    expect((await t.api('POST', '/api/rules', {
      id: 'heart-test', name: 'heart rate test', enabled: true, match: { domain: 'healthcare', type: 'wearable' },
      metric: 'heart_rate', condition: { op: '>', value: 130 }, for: '0', severity: 'critical',
    })).status).toBe(201);
    heart = await t.sensor('healthcare', 'wearable', { district: 'Jinfeng', name: 'Ward 3 wearable' });
    gas = await t.sensor('safety', 'gas', { district: 'Xingqing', name: 'Gulou gas' });
    const health = await t.api('POST', '/api/users', { username: 'health.mei', name: 'Mei Lin (Health)', role: 'operator', scope: { domains: ['healthcare'] }, password: PASSWORD });
    healthUserId = health.body.id;
    await t.api('POST', '/api/users', { username: 'ops.centre', name: 'Operations Centre', role: 'operator', password: PASSWORD });
    await heart.send({ heart_rate: 150 });
    await gas.send({ co: 80 });
  }, 60_000);

  afterAll(async () => {
    for (const br of browsers) await br.close();
    await t?.close();
  });

  it('shows a healthcare operator only healthcare devices and alerts, on every page and on the live feed', async () => {
    const { page, problems } = await signInAs('health.mei');
    await expect(page.locator('.user-name').textContent()).resolves.toBe('Mei Lin (Health)');
    await expect(page.locator('[data-testid=scope]').textContent()).resolves.toBe('healthcare');
    await row(page, heart.id).waitFor();
    expect(await row(page, gas.id).count()).toBe(0);

    // Live: a new alert of each domain; only the healthcare one reaches this console.
    const heart2 = await t.sensor('healthcare', 'wearable', { district: 'Jinfeng' });
    const gas2 = await t.sensor('safety', 'gas', { district: 'Xingqing' });
    await gas2.send({ co: 90 });
    await heart2.send({ heart_rate: 160 });
    await row(page, heart2.id).waitFor();
    expect(await row(page, gas2.id).count()).toBe(0);
    expect(await page.locator('.alerts-table tbody tr').count()).toBe(2);

    await page.goto(`${t.httpUrl}/#/devices`);
    await page.locator(`tr[data-device-id="${heart.id}"]`).waitFor();
    expect(await page.locator(`tr[data-device-id="${gas.id}"]`).count()).toBe(0);
    expect(await page.locator(`tr[data-device-id="${gas2.id}"]`).count()).toBe(0);
    await screenshot(page, 'people-health-devices');
    // The footer counts this scope's connected devices and leaves out the platform's readings counters and spool.
    await page.waitForSelector('.statusbar .sb-item:text("2 devices connected")', { timeout: 20_000 });
    expect(await page.locator('.statusbar').textContent()).not.toMatch(/readings accepted|spool/);

    // Acknowledging a safety alert by id from this console's session: 404, as if it did not exist.
    const gasAlert = (await t.api('GET', `/api/alerts?deviceId=${gas.id}`)).body.items[0];
    const status = await page.evaluate(async (id) => (await fetch(`api/alerts/${id}/ack`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status, gasAlert.id);
    expect(status).toBe(404);
    expect((await t.api('GET', `/api/alerts/${gasAlert.id}`)).body.state).toBe('firing');
    problems.length = 0; // the 404, on purpose

    // Its own alert: acknowledged from the board, credited to the person.
    await page.goto(`${t.httpUrl}/#/alerts`);
    await row(page, heart.id).locator('[data-action=ack]').click();
    await page.waitForSelector(`.alerts-table tr[data-device="${heart.id}"][data-state=acknowledged]`);
    const acked = (await t.api('GET', `/api/alerts?deviceId=${heart.id}`)).body.items[0];
    expect(acked.acknowledgedBy).toBe('Mei Lin (Health)');
    expect(problems).toEqual([]);
  }, 60_000);

  it('shows the operations centre everything', async () => {
    const { page } = await signInAs('ops.centre');
    await expect(page.locator('.user-name').textContent()).resolves.toBe('Operations Centre');
    expect(await page.locator('[data-testid=scope]').count()).toBe(0);
    await page.waitForSelector('.statusbar .sb-item:text("readings accepted")', { timeout: 20_000 });
    await row(page, heart.id).waitFor();
    await row(page, gas.id).waitFor();
  }, 60_000);

  it('refuses a cross-site form POST that would carry the session cookie', async () => {
    const br = browsers[0]!;
    // Another site (localhost is another site than 127.0.0.1) with a form that posts to the API on load.
    const evil: Server = createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(`<form id="f" method="POST" action="${t.httpUrl}/api/tokens" enctype="text/plain"><input name='{"name":"evil","role":"admin","x":"' value='"}'></form><script>document.getElementById('f').submit()</script>`);
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', () => resolve()));
    try {
      const page = await br.context.newPage();
      const answered = page.waitForResponse((r) => r.url() === `${t.httpUrl}/api/tokens`);
      await page.goto(`http://localhost:${(evil.address() as AddressInfo).port}/`);
      expect([401, 403]).toContain((await answered).status());
      await page.close();
    } finally {
      evil.close();
    }
    expect((await t.api('GET', '/api/tokens')).body.items.map((x: any) => x.name)).not.toContain('evil');
    br.problems.length = 0;
  }, 60_000);

  it('signs a disabled user\'s open console out at once', async () => {
    const br = browsers[0]!;
    await br.page.goto(`${t.httpUrl}/#/alerts`);
    await br.page.waitForSelector('[data-testid=live-status][data-status=live]');
    expect((await t.api('PUT', `/api/users/${healthUserId}`, { disabled: true })).status).toBe(200);
    await br.page.waitForSelector('#username', { timeout: 5000 });
    await expect(br.page.locator('.form-notice').textContent()).resolves.toContain('session has ended');
  }, 60_000);
});
