import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteStores, type SqliteStores } from '../../src/storage/index.js';
import { notificationStoreContract } from './notification-store.contract.js';

const dir = mkdtempSync(join(tmpdir(), 'citysense-sqlite-notify-'));
const opened: SqliteStores[] = [];
afterAll(async () => {
  for (const m of opened) await m.close();
  rmSync(dir, { recursive: true, force: true });
});

function openMeta(sub: string): SqliteStores {
  const meta = createSqliteStores(join(dir, sub));
  opened.push(meta);
  return meta;
}

notificationStoreContract('sqlite', {
  async open() {
    const meta = openMeta('contract');
    return { stores: meta.notificationStores, alerts: meta.alertStores.alerts };
  },
});

describe('sqlite notification stores', () => {
  it('keeps the outbox, its tries and its timers across a reopen of citysense.db', async () => {
    const a = openMeta('reopen');
    const s = a.notificationStores;
    const d = { id: 'msg_reopen', alertId: 7, contactPointId: 'cp', kind: 'webhook' as const, transition: 'fired' as const, alert: null, status: 'pending' as const,
      attempts: 1, nextAt: 2000, createdAt: 1000, expiresAt: 9000, deliveredAt: null, httpStatus: 429, error: 'HTTP 429' };
    s.outbox.enqueue([d], [{ alertId: 7, policyId: 'p', kind: 'escalate', dueAt: 5000 }]);
    s.outbox.recordAttempt(d, { deliveryId: d.id, attempt: 1, at: 1500, status: 'pending', httpStatus: 429, error: 'HTTP 429' });
    await a.close();
    const b = openMeta('reopen');
    const t = b.notificationStores;
    expect(t.outbox.due(2000, 10)).toEqual([d]);
    expect(t.outbox.forAlert(7)[0]!.attempts).toHaveLength(1);
    expect(t.outbox.timers(7)).toEqual([{ alertId: 7, policyId: 'p', kind: 'escalate', dueAt: 5000 }]);
  });
});
