import { describe, expect, it } from '@jest/globals';
import { AppError, type NewAlert } from '../../src/core/index.js';
import type { AlertStore, ContactPoint, Delivery, NotificationPolicy, NotificationStores } from '../../src/storage/index.js';

/** How a test file hands its adapter to the contract: the notification stores and the alert store on the same database. */
export interface NotificationContractSubject {
  open(): Promise<{ stores: NotificationStores; alerts: AlertStore }>;
  teardown?(): Promise<void>;
}

let n = 0;
const uid = (p: string) => `${p}-${process.pid}-${++n}`;
const T = Date.UTC(2026, 0, 5, 3, 0, 0);

const contactPoint = (id = uid('cp')): ContactPoint => ({
  id, name: `pager ${id}`, kind: 'webhook', url: 'http://127.0.0.1:9/hook', format: 'citysense', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  disabledAt: null, disabledReason: null, createdAt: T, updatedAt: T,
});
const policy = (cps: string[], id = uid('pol')): NotificationPolicy => ({
  id, name: `policy ${id}`, match: { severity: ['critical'] }, contactPoints: cps, on: ['fired', 'resolved'], createdAt: T, updatedAt: T,
});
const delivery = (cp: string, alertId: number | null, at: number, extra: Partial<Delivery> = {}): Delivery => ({
  id: uid('msg'), alertId, contactPointId: cp, kind: 'webhook', transition: 'fired', alert: null, status: 'pending', attempts: 0,
  nextAt: at, createdAt: at, expiresAt: at + 86_400_000, deliveredAt: null, httpStatus: null, error: null, ...extra,
});
const newAlert = (deviceId: string): NewAlert => ({
  ruleId: 'carbon-monoxide', ruleName: 'carbon monoxide', deviceId, domain: 'safety', type: 'gas', district: 'Xixia', metric: 'co',
  severity: 'critical', state: 'firing', message: 'co 120', value: 120, threshold: 50, firedAt: T, acknowledgedAt: null, acknowledgedBy: null,
  resolvedAt: null, resolvedBy: null, lastValue: 120, lastValueAt: T, silenced: false,
});

/** The behaviour every notification store adapter must show (DESIGN.md: one contract suite per port). */
export function notificationStoreContract(name: string, subject: NotificationContractSubject): void {
  describe(`notification stores contract: ${name}`, () => {
    const open = () => subject.open();

    it('keeps contact points in creation order, refuses a second one with the same id, replaces and deletes', async () => {
      const { stores } = await open();
      const a = contactPoint();
      const b = { ...contactPoint(), kind: 'email' as const, to: ['oncall@example.org'], url: undefined };
      stores.contactPoints.create(a);
      stores.contactPoints.create(b);
      const ids = stores.contactPoints.list().map((c) => c.id);
      expect(ids.indexOf(a.id)).toBeLessThan(ids.indexOf(b.id));
      expect(() => stores.contactPoints.create(a)).toThrow(AppError);
      expect(stores.contactPoints.update({ ...a, disabledAt: T + 1, disabledReason: '410' })).toBe(true);
      expect(stores.contactPoints.get(a.id)).toMatchObject({ disabledAt: T + 1, disabledReason: '410', secret: a.secret });
      expect(stores.contactPoints.update(contactPoint('missing-' + uid('x')))).toBe(false);
      expect(stores.contactPoints.delete(b.id)).toBe(true);
      expect(stores.contactPoints.get(b.id)).toBeUndefined();
      expect(stores.contactPoints.delete(b.id)).toBe(false);
    });

    it('keeps policies with their match, escalation and repeat as written', async () => {
      const { stores } = await open();
      const p = { ...policy(['x']), repeatEvery: '10m', escalate: { after: '15m', contactPoints: ['y'] } };
      stores.policies.create(p);
      expect(stores.policies.get(p.id)).toEqual(p);
      expect(() => stores.policies.create(p)).toThrow(AppError);
      expect(stores.policies.update({ ...p, name: 'renamed' })).toBe(true);
      expect(stores.policies.get(p.id)!.name).toBe('renamed');
      expect(stores.policies.delete(p.id)).toBe(true);
      expect(stores.policies.list().some((x) => x.id === p.id)).toBe(false);
    });

    it('hands out due deliveries oldest first, records each try, and counts what is pending', async () => {
      const { stores } = await open();
      const cp = uid('cp');
      const before = stores.outbox.depth().pending;
      const first = delivery(cp, 9_000_001, T);
      const later = delivery(cp, 9_000_001, T + 5000);
      stores.outbox.enqueue([later, first]);
      expect(stores.outbox.depth().pending).toBe(before + 2);
      const due = stores.outbox.due(T + 1000, 100).filter((d) => d.contactPointId === cp);
      expect(due.map((d) => d.id)).toEqual([first.id]);
      expect(stores.outbox.nextDueAt()).toBeLessThanOrEqual(T);

      const retried: Delivery = { ...first, attempts: 1, nextAt: T + 60_000, httpStatus: 500, error: 'HTTP 500' };
      stores.outbox.recordAttempt(retried, { deliveryId: first.id, attempt: 1, at: T + 1, status: 'pending', httpStatus: 500, error: 'HTTP 500' });
      expect(stores.outbox.due(T + 10_000, 100).filter((d) => d.contactPointId === cp).map((d) => d.id)).toEqual([later.id]);
      const done: Delivery = { ...retried, attempts: 2, status: 'delivered', deliveredAt: T + 60_001, httpStatus: 200, error: null };
      stores.outbox.recordAttempt(done, { deliveryId: first.id, attempt: 2, at: T + 60_001, status: 'delivered', httpStatus: 200, error: null });
      expect(stores.outbox.get(first.id)).toEqual(done);
      expect(stores.outbox.due(T + 120_000, 100).some((d) => d.id === first.id)).toBe(false);

      const mine = stores.outbox.forAlert(9_000_001);
      expect(mine.map((m) => m.delivery.id)).toEqual([first.id, later.id]);
      expect(mine[0]!.attempts.map((a) => [a.attempt, a.status, a.httpStatus])).toEqual([[1, 'pending', 500], [2, 'delivered', 200]]);
      expect(stores.outbox.depth().pending).toBe(before + 1);
    });

    it('ends every pending delivery of a contact point as failed', async () => {
      const { stores } = await open();
      const cp = uid('cp');
      const a = delivery(cp, null, T);
      const b = delivery(cp, null, T + 1);
      const other = delivery(uid('cp'), null, T);
      stores.outbox.enqueue([a, b, other]);
      expect(stores.outbox.failPending(cp, 'contact point disabled', T + 2)).toBe(2);
      expect(stores.outbox.get(a.id)).toMatchObject({ status: 'failed', error: 'contact point disabled' });
      expect(stores.outbox.get(other.id)!.status).toBe('pending');
    });

    it('moves a repeat timer and deletes an escalation timer, enqueuing their deliveries with them', async () => {
      const { stores } = await open();
      const alertId = 9_100_000 + n;
      const cp = uid('cp');
      stores.outbox.enqueue([], [
        { alertId, policyId: 'p', kind: 'repeat', dueAt: T + 1000 },
        { alertId, policyId: 'p', kind: 'escalate', dueAt: T + 5000 },
      ]);
      expect(stores.outbox.dueTimers(T + 1000).filter((t) => t.alertId === alertId).map((t) => t.kind)).toEqual(['repeat']);
      const reminder = delivery(cp, alertId, T + 1000, { transition: 'repeat' });
      stores.outbox.settleTimer({ alertId, policyId: 'p', kind: 'repeat', dueAt: T + 1000 }, [reminder], T + 601_000);
      expect(stores.outbox.get(reminder.id)!.transition).toBe('repeat');
      expect(stores.outbox.timers(alertId).map((t) => [t.kind, t.dueAt])).toEqual([['escalate', T + 5000], ['repeat', T + 601_000]]);
      stores.outbox.settleTimer({ alertId, policyId: 'p', kind: 'escalate', dueAt: T + 5000 }, []);
      expect(stores.outbox.timers(alertId).map((t) => t.kind)).toEqual(['repeat']);
    });

    it("writes what the record hook enqueues in the transition's transaction, and rolls both back when it throws", async () => {
      const { stores, alerts } = await open();
      const cp = uid('cp');
      try {
        alerts.setRecordHook((e) => stores.outbox.enqueue([delivery(cp, e.alertId, T, { transition: e.kind === 'fired' ? 'fired' : 'resolved' })]));
        const a = alerts.open(newAlert(uid('gas')), { kind: 'fired', at: T, value: 120, actor: 'system' });
        expect(stores.outbox.forAlert(a.id).map((d) => d.delivery.transition)).toEqual(['fired']);

        alerts.setRecordHook((e) => {
          stores.outbox.enqueue([delivery(cp, e.alertId, T, { transition: 'resolved' })]);
          throw new Error('the outbox is full');
        });
        expect(() => alerts.transition({ ...a, state: 'resolved', resolvedAt: T + 1 }, { kind: 'resolved', at: T + 1, value: 10, actor: 'system' })).toThrow('the outbox is full');
        expect(alerts.get(a.id)!.state).toBe('firing');
        expect(alerts.transitions(a.id).map((t) => t.kind)).toEqual(['fired']);
        expect(stores.outbox.forAlert(a.id).map((d) => d.delivery.transition)).toEqual(['fired']);

        const device = uid('gas');
        expect(() => alerts.open(newAlert(device), { kind: 'fired', at: T, value: 120, actor: 'system' })).toThrow('the outbox is full');
        expect(alerts.active().some((x) => x.deviceId === device)).toBe(false);
      } finally {
        alerts.setRecordHook(undefined);
      }
    });
  });
}
