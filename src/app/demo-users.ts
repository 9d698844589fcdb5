/** The demo's people: an operator for each department, and the operations centre that sees the whole city. */
export const DEMO_USERS = [
  { username: 'health', name: 'Health department', role: 'operator', scope: { domains: ['healthcare'] } },
  { username: 'transport', name: 'Transport department', role: 'operator', scope: { domains: ['transport'] } },
  { username: 'safety', name: 'Public safety department', role: 'operator', scope: { domains: ['safety'] } },
  { username: 'ops', name: 'Operations centre', role: 'operator' },
] as const;

/**
 * Creates the demo's users through the API (or, when a previous demo left them in DATA_DIR, gives them this run's
 * password and their demo role and scope again). Returns their usernames.
 */
export async function provisionDemoUsers(api: string, token: string, password: string): Promise<string[]> {
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${api}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = (await res.json().catch(() => undefined)) as { items?: { id: string; username: string }[] } | undefined;
    return { status: res.status, data };
  };
  let existing: { id: string; username: string }[] | undefined;
  for (const u of DEMO_USERS) {
    const created = await call('POST', '/api/users', { ...u, password });
    if (created.status === 201) continue;
    if (created.status !== 409) throw new Error(`demo user ${u.username}: ${created.status} ${JSON.stringify(created.data)}`);
    existing ??= (await call('GET', '/api/users?limit=1000')).data?.items ?? [];
    const found = existing.find((e) => e.username.toLowerCase() === u.username);
    if (!found) throw new Error(`demo user ${u.username}: taken, but not listed`);
    const { username: _, ...rest } = u;
    const updated = await call('PUT', `/api/users/${found.id}`, { ...rest, scope: 'scope' in u ? u.scope : null, disabled: false, password });
    if (updated.status !== 200) throw new Error(`demo user ${u.username}: ${updated.status} ${JSON.stringify(updated.data)}`);
  }
  return DEMO_USERS.map((u) => u.username);
}
