import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually, startTestApp, type TestApp } from '../fixtures/app.js';
import { openBrowser, screenshot, signIn, type ConsoleBrowser } from './browser.js';

// The rules page in a real Chromium: a draft's backtest over the last day before it is saved, admins edit and
// enable/disable, viewers read and backtest.
describe('the console rules page', () => {
  let t: TestApp;
  let viewer: string;
  const browsers: ConsoleBrowser[] = [];
  let gasId: string;

  beforeAll(async () => {
    t = await startTestApp('sqlite');
    viewer = (await t.api('POST', '/api/tokens', { name: 'wall screen', role: 'viewer' })).body.token;
    // An hour ago, a CO spike on one detector: 3 readings over 50 ppm.
    const gas = await t.sensor('safety', 'gas', { district: 'Xixia' });
    gasId = gas.id;
    const T0 = Date.now() - 3_600_000;
    const co = [3, 4, 80, 90, 70, 20, 3];
    for (let i = 0; i < co.length; i++) await gas.send({ co: co[i]!, ch4: 1 }, T0 + i * 30_000);
    await eventually(async () => (await t.api('GET', '/api/stats')).body.readings.stored >= co.length, 'readings stored', 20_000);
  }, 60_000);
  afterAll(async () => {
    for (const b of browsers) await b.close();
    await t?.close();
  });

  const open = async (token: string) => {
    const b = await openBrowser(t.httpUrl);
    browsers.push(b);
    await signIn(b.page, token);
    await b.page.click('a.nav-link[href="#/rules"]');
    await b.page.waitForSelector('.rules-table tr[data-rule-id="carbon-monoxide"], .rules-table tr[data-rule-id]');
    return b;
  };
  const coRow = async (b: ConsoleBrowser) => {
    const rules = (await t.api('GET', '/api/rules')).body.items as { id: string; name: string }[];
    const id = rules.find((r) => r.name === 'carbon monoxide')!.id;
    return { id, row: b.page.locator(`.rules-table tr[data-rule-id="${id}"]`) };
  };

  it('an admin backtests a draft over the last day, edits and saves it, and disables a rule', async () => {
    const b = await open(t.adminToken);
    const { id, row } = await coRow(b);
    await row.locator('[data-action=open-rule]').click();
    await b.page.click('[data-action="backtest-1d"]');
    const result = b.page.locator('[data-testid=backtest-result]');
    await result.waitFor();
    expect(await result.getAttribute('data-alerts')).toBe('1');
    expect(await result.textContent()).toContain(gasId);
    // A draft with a threshold above every reading: nothing, and nothing saved yet.
    const draft = JSON.parse(await b.page.inputValue('#rule-json'));
    draft.condition = { op: '>', value: 500 };
    await b.page.fill('#rule-json', JSON.stringify(draft, null, 2));
    await b.page.click('[data-action="backtest-1d"]');
    await b.page.waitForSelector('[data-testid=backtest-result][data-alerts="0"]');
    expect((await t.api('GET', `/api/rules/${id}`)).body.condition).toEqual({ op: '>', value: 50 });
    await screenshot(b.page, 'rules-backtest');
    // A draft the catalog refuses: the API's message, naming the field.
    await b.page.fill('#rule-json', JSON.stringify({ ...draft, metric: 'heart_rate' }));
    await b.page.click('[data-action="backtest-7d"]');
    expect(await b.page.locator('[data-testid=rule-error]').textContent()).toMatch(/rule\.metric/);
    // Saved.
    await b.page.fill('#rule-json', JSON.stringify({ ...draft, condition: { op: '>', value: 75 } }, null, 2));
    await b.page.click('[data-action=save-rule]');
    await eventually(async () => (await t.api('GET', `/api/rules/${id}`)).body.condition.value === 75, 'the rule saved');
    // Disabled and enabled again from the list.
    await row.locator('[data-action=toggle-rule]').click();
    await eventually(async () => (await t.api('GET', `/api/rules/${id}`)).body.enabled === false, 'the rule disabled');
    await b.page.waitForSelector(`.rules-table tr[data-rule-id="${id}"] [data-testid=rule-state]:text("disabled")`);
    // The rules page credits the change: a built-in rule, last changed by the admin token.
    await b.page.waitForSelector(`.rules-table tr[data-rule-id="${id}"] [data-testid=rule-credit]:text("changed by ADMIN_TOKEN")`);
    expect(await row.locator('[data-testid=rule-credit]').textContent()).toMatch(/^built in · changed by ADMIN_TOKEN /);
    await row.locator('[data-action=toggle-rule]').click();
    await eventually(async () => (await t.api('GET', `/api/rules/${id}`)).body.enabled === true, 'the rule enabled');
    // The one refused draft is the only failed request the browser saw.
    expect(b.problems).toEqual(['console: Failed to load resource: the server responded with a status of 400 (Bad Request)']);
  }, 90_000);

  it('a viewer reads and backtests but cannot save, create or disable', async () => {
    const b = await open(viewer);
    const { row } = await coRow(b);
    expect(await b.page.locator('[data-action=new-rule]').count()).toBe(0);
    expect(await row.locator('[data-action=toggle-rule]').count()).toBe(0);
    await row.locator('[data-action=open-rule]').click();
    expect(await b.page.locator('[data-action=save-rule]').count()).toBe(0);
    expect(await b.page.locator('#rule-json').getAttribute('readonly')).not.toBeNull();
    await b.page.click('[data-action="backtest-7d"]');
    // The saved threshold is 75 now: 80 and 90 breach it once.
    await b.page.waitForSelector('[data-testid=backtest-result][data-alerts="1"]');
    expect(b.problems).toEqual([]);
  }, 90_000);
});
