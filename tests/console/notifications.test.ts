import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually, startTestApp, type TestApp } from '../fixtures/app.js';
import { startReceiver, type Receiver } from '../notifications/receiver.js';
import { openBrowser, screenshot, signIn, type ConsoleBrowser } from './browser.js';

// The notifications page (contact points and policies, "send a test") and an alert's deliveries, in a real
// Chromium against a whole citysense and a real webhook receiver.
describe('the console: notifications', () => {
  let t: TestApp;
  let br: ConsoleBrowser;
  let rx: Receiver;
  let gone: Receiver;

  beforeAll(async () => {
    t = await startTestApp('sqlite');
    rx = await startReceiver();
    gone = await startReceiver();
    br = await openBrowser(t.httpUrl);
    await signIn(br.page, t.adminToken);
  }, 60_000);
  afterAll(async () => {
    await br?.close();
    await rx?.close();
    await gone?.close();
    await t?.close();
  });

  const addContactPoint = async (name: string, url: string) => {
    const { page } = br;
    await page.fill('.contact-point-form label:has-text("Name") input', name);
    await page.fill('.contact-point-form input[name=target]', url);
    await page.click('[data-action=create-contact-point]');
    await page.waitForSelector(`.contact-points-table tr:has-text("${name}")`);
  };

  it('adds a webhook contact point, shows its secret once, and sends a test that the receiver gets signed', async () => {
    const { page } = br;
    await page.goto(`${t.httpUrl}/#/notifications`);
    await page.waitForSelector('.page.notifications');
    await addContactPoint('fire dispatch', rx.url);
    const secret = (await page.locator('[data-testid=new-secret] code').textContent())!;
    expect(secret).toMatch(/^whsec_/);
    rx.setSecret(secret);

    await page.click('.contact-points-table tr:has-text("fire dispatch") [data-action=test-contact-point]');
    await rx.waitFor((x) => x.length >= 1, 'the test webhook');
    expect(rx.received[0]).toMatchObject({ signatureOk: true, body: { transition: 'test' } });
    await page.waitForSelector('.toast:has-text("Test sent to fire dispatch")');
  });

  it('shows a contact point disabled after its receiver answered 410', async () => {
    const { page } = br;
    await addContactPoint('old relay', gone.url);
    gone.script([{ status: 410 }]);
    await page.click('.contact-points-table tr:has-text("old relay") [data-action=test-contact-point]');
    const badge = page.locator('.contact-points-table tr:has-text("old relay") [data-testid=cp-disabled]');
    await badge.waitFor({ timeout: 10_000 });
    await expect(badge.textContent()).resolves.toContain('410');
  });

  it('adds a policy, and the alert it notifies shows its delivery on the alert page', async () => {
    const { page } = br;
    const cpId = (await t.api('GET', '/api/contact-points')).body.items.find((c: any) => c.name === 'fire dispatch').id;
    await page.fill('.policy-form input[name=policy-name]', 'gas in Xixia');
    await page.fill('.policy-form label:has-text("District") input', 'Xixia');
    await page.check(`.policy-form input[data-tell="${cpId}"]`);
    await page.click('[data-action=create-policy]');
    await page.waitForSelector('.policies-table tr:has-text("gas in Xixia")');
    await expect(page.locator('.policies-table tr:has-text("gas in Xixia")').textContent()).resolves.toContain('fire dispatch');

    const gas = await t.sensor('safety', 'gas', { district: 'Xixia' });
    await gas.send({ co: 120 });
    const [hook] = (await rx.waitFor((x) => x.some((r) => r.body.transition === 'fired'), 'the fired webhook')).filter((r) => r.body.transition === 'fired');
    const url: string = hook!.body.alert.url;
    await eventually(async () => (await t.api('GET', `/api/alerts/${hook!.body.alert.id}/notifications`)).body.items.at(-1)?.status === 'delivered', 'delivered');

    // The link in the notification opens the alert, with its deliveries.
    await page.goto(url);
    const row = page.locator('.deliveries-table tr[data-status=delivered]');
    await row.waitFor({ timeout: 10_000 });
    await expect(row.textContent()).resolves.toContain('fired');
    await expect(row.textContent()).resolves.toContain('fire dispatch');
    await expect(page.locator('[data-testid=alert-state]').textContent()).resolves.toBe('firing');
    await screenshot(page, 'alert-notifications');
    expect(br.problems).toEqual([]);
  });
});
