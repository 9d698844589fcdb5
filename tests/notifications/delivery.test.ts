import { afterAll, describe, expect, it, jest } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { eventually } from '../fixtures/app.js';
import { type Alert, type AlertEvent, BUILTIN_CATALOG, Catalog } from '../../src/core/index.js';
import { createNotifications } from '../../src/notifications/index.js';
import { createSqliteStores } from '../../src/storage/index.js';
import { startReceiver } from './receiver.js';

jest.setTimeout(60_000);
const dir = mkdtempSync(join(tmpdir(), 'citysense-delivery-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const alert = (id: number): Alert => ({
  id, ruleId: 'carbon-monoxide', ruleName: 'carbon monoxide', deviceId: `gas-${id}`, domain: 'safety', type: 'gas', district: 'Xixia', metric: 'co',
  severity: 'critical', state: 'firing', message: 'co 120', value: 120, threshold: 50, firedAt: Date.now(), acknowledgedAt: null, acknowledgedBy: null,
  resolvedAt: null, resolvedBy: null, lastValue: 120, lastValueAt: Date.now(), silenced: false, eventId: id,
});
const fired = (a: Alert): AlertEvent => ({ kind: 'fired', at: a.firedAt, value: a.value, actor: 'system', eventId: a.eventId, alertId: a.id, alert: a });

/** A notification service on a real SQLite file, with its log lines and metrics at hand. */
function service(sub: string, options = {}) {
  const lines: any[] = [];
  const log = pino({ level: 'info' }, new Writable({ write(chunk, _e, cb) { lines.push(JSON.parse(String(chunk))); cb(); } }));
  const meta = createSqliteStores(join(dir, sub));
  const stores = meta.notificationStores;
  const metrics = new Registry();
  const n = createNotifications({
    stores, catalog: new Catalog(BUILTIN_CATALOG), log, metrics, alert: () => undefined, ruleExists: () => true, alertView: (a) => ({ ...a }),
    publicUrl: () => 'http://console.test', smtpFrom: 'citysense@test', options: { retryBaseMs: 100, retryMaxMs: 400, pollMs: 50, ...options },
  });
  return { n, lines, metrics, stores, close: async () => { await n.stop(); await meta.close(); } };
}

describe('the delivery loop', () => {
  it('logs a failing contact point once when it starts failing and once when it recovers, and counts every try', async () => {
    const rx = await startReceiver();
    const s = service('health', { retryForMs: 1500 });
    try {
      const cp = s.n.createContactPoint({ name: 'dispatch', kind: 'webhook', url: rx.url }).contactPoint;
      s.n.createPolicy({ name: 'all', match: {}, contactPoints: [cp.id] });
      s.n.start();
      rx.script(Array.from({ length: 100 }, () => ({ status: 500 })));
      s.n.recordHook(fired(alert(1)));
      const gaveUp = (await eventually(() => s.n.deliveriesFor(1).at(-1)?.status === 'failed' ? s.n.deliveriesFor(1) : undefined, 'the delivery given up after its retry window'))!;
      expect(gaveUp.length).toBeGreaterThanOrEqual(3);
      expect(gaveUp.slice(0, -1).every((d) => d.status === 'pending' && d.httpStatus === 500)).toBe(true);
      expect(new Set(rx.received.map((r) => r.id)).size).toBe(1);

      rx.script([]);
      s.n.recordHook(fired(alert(2)));
      await eventually(() => s.n.deliveriesFor(2).at(-1)?.status === 'delivered', 'the next delivery');
      const health = s.lines.filter((l) => /contact point (is failing|recovered)/.test(l.msg)).map((l) => [l.level, l.msg.split(':')[0]]);
      expect(health).toEqual([[40, 'contact point is failing'], [30, 'contact point recovered']]);
      expect(s.lines.some((l) => l.msg === 'notification not delivered: giving up' && l.contactPointId === cp.id)).toBe(true);

      const text = await s.metrics.metrics();
      const count = (outcome: string) => Number(new RegExp(`citysense_notification_deliveries_total\\{contact_point="${cp.id}",kind="webhook",outcome="${outcome}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
      expect(count('retry')).toBe(gaveUp.length - 1);
      expect(count('failed')).toBe(1);
      expect(count('delivered')).toBe(1);
      expect(text).toMatch(/citysense_notification_delivery_seconds_count\{kind="webhook"\} 1/);
      expect(text).toMatch(/^citysense_notification_outbox_depth 0$/m);
      expect(text).toMatch(/^citysense_notification_outbox_oldest_seconds 0$/m);
    } finally {
      await s.close();
      await rx.close();
    }
  });

  it('shows the outbox depth and the age of its oldest row while a delivery waits', async () => {
    const rx = await startReceiver();
    const s = service('depth');
    try {
      const cp = s.n.createContactPoint({ name: 'slow', kind: 'webhook', url: rx.url }).contactPoint;
      s.n.createPolicy({ name: 'all', match: {}, contactPoints: [cp.id] });
      s.n.start();
      rx.script([{ status: 429, headers: { 'retry-after': '30' } }]);
      s.n.recordHook(fired(alert(3)));
      await rx.waitFor((x) => x.length >= 1, 'the first try');
      await new Promise((r) => setTimeout(r, 1100));
      const text = await s.metrics.metrics();
      expect(text).toMatch(/^citysense_notification_outbox_depth 1$/m);
      expect(Number(/^citysense_notification_outbox_oldest_seconds (\S+)$/m.exec(text)![1])).toBeGreaterThanOrEqual(1);
      expect(s.n.deliveriesFor(3)).toMatchObject([{ attempt: 1, status: 'pending', httpStatus: 429 }]);
      expect(Date.parse(s.n.deliveriesFor(3)[0]!.nextAt!) - Date.now()).toBeGreaterThan(25_000);
    } finally {
      await s.close();
      await rx.close();
    }
  });
});
