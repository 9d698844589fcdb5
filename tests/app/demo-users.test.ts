import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEMO_USERS, provisionDemoUsers } from '../../src/app/demo-users.js';
import { startTestApp, type TestApp } from '../fixtures/app.js';

const signIn = async (t: TestApp, username: string, password: string) => {
  const res = await fetch(`${t.httpUrl}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  return { status: res.status, body: (await res.json()) as any };
};

describe('the demo\'s people', () => {
  let t: TestApp;
  beforeAll(async () => { t = await startTestApp('sqlite'); });
  afterAll(async () => { await t.close(); });

  it('are an operator per department and the operations centre, and a second demo run gives them its own password', async () => {
    expect(await provisionDemoUsers(t.httpUrl, t.adminToken, 'first run password')).toEqual(['health', 'transport', 'safety', 'ops']);
    const health = await signIn(t, 'health', 'first run password');
    expect(health.body.user).toMatchObject({ name: 'Health department', role: 'operator', scope: { domains: ['healthcare'] } });
    expect((await signIn(t, 'ops', 'first run password')).body.user).not.toHaveProperty('scope');

    await provisionDemoUsers(t.httpUrl, t.adminToken, 'second run password');
    expect((await signIn(t, 'safety', 'first run password')).status).toBe(401);
    for (const u of DEMO_USERS) expect((await signIn(t, u.username, 'second run password')).status).toBe(200);
  }, 60_000);
});
