import { describe, expect, it } from '@jest/globals';
import { AppError, type NewAlert } from '../../src/core/index.js';
import type { AlertStore, ContactPoint, ContactPointStore, Delivery, NotificationPolicy, OutboxStore, PolicyStore } from '../../src/storage/index.js';
import { failure, type Either } from './contract-helpers.js';

/** How a test file hands its adapter to the contract: the notification stores and the alert store on the same database. */
export interface NotificationContractSubject {
  open(): Promise<{
    stores: { contactPoints: Either<ContactPointStore>; policies: Either<PolicyStore>; outbox: Either<OutboxStore> };
    alerts: Either<AlertStore>;
  }>;
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

/**
 * The behaviour every notification store adapter must show (DESIGN.md: one contract suite per port). Every call is
 * awaited, so the suite runs unchanged against an adapter whose methods return promises.
 */
export function notificationStoreContract(name: string, subject: NotificationContractSubject): void {
  describe(`notification stores contract: ${name}`, () => {
    const open = () => subject.open();

    it('keeps contact points in creation order, refuses a second one with the same id, replaces and deletes', async () => {
      const { stores } = await open();
      const a = contactPoint();
      const b = { ...contactPoint(), kind: 'email' as const, to: ['oncall@example.org'], url: undefined };
      await stores.contactPoints.create(a);
      await stores.contactPoints.create(b);
      const ids = (await stores.contactPoints.list()).map((c) => c.id);
      expect(ids.indexOf(a.id)).toBeLessThan(ids.indexOf(b.id));
      expect(await failure(() => stores.contactPoints.create(a))).toBeInstanceOf(AppError);
      expect(await stores.contactPoints.update({ ...a, disabledAt: T + 1, disabledReason: '410' })).toBe(true);
      expect(await stores.contactPoints.get(a.id)).toMatchObject({ disabledAt: T + 1, disabledReason: '410', secret: a.secret });
      expect(await stores.contactPoints.update(contactPoint('missing-' + uid('x')))).toBe(false);
      expect(await stores.contactPoints.delete(b.id)).toBe(true);
      expect(await stores.contactPoints.get(b.id)).toBeUndefined();
      expect(await stores.contactPoints.delete(b.id)).toBe(false);
    });

    it('keeps policies with their match, escalation and repeat as written', async () => {
      const { stores } = await open();
      const p = { ...policy(['x']), repeatEvery: '10m', escalate: { after: '15m', contactPoints: ['y'] } };
      await stores.policies.create(p);
      expect(await stores.policies.get(p.id)).toEqual(p);
      expect(await failure(() => stores.policies.create(p))).toBeInstanceOf(AppError);
      expect(await stores.policies.update({ ...p, name: 'renamed' })).toBe(true);
      expect((await stores.policies.get(p.id))!.name).toBe('renamed');
      expect(await stores.policies.delete(p.id)).toBe(true);
      expect((await stores.policies.list()).some((x) => x.id === p.id)).toBe(false);
    });

    it('hands out due deliveries oldest first, records each try, and counts what is pending', async () => {
      const { stores } = await open();
      const cp = uid('cp');
      const before = (await stores.outbox.depth()).pending;
      const first = delivery(cp, 9_000_001, T);
      const later = delivery(cp, 9_000_001, T + 5000);
      await stores.outbox.enqueue([later, first]);
      expect((await stores.outbox.depth()).pending).toBe(before + 2);
      const due = (await stores.outbox.due(T + 1000, 100)).filter((d) => d.contactPointId === cp);
      expect(due.map((d) => d.id)).toEqual([first.id]);
      expect(await stores.outbox.nextDueAt()).toBeLessThanOrEqual(T);

      const retried: Delivery = { ...first, attempts: 1, nextAt: T + 60_000, httpStatus: 500, error: 'HTTP 500' };
      await stores.outbox.recordAttempt(retried, { deliveryId: first.id, attempt: 1, at: T + 1, status: 'pending', httpStatus: 500, error: 'HTTP 500' });
      expect((await stores.outbox.due(T + 10_000, 100)).filter((d) => d.contactPointId === cp).map((d) => d.id)).toEqual([later.id]);
      const done: Delivery = { ...retried, attempts: 2, status: 'delivered', deliveredAt: T + 60_001, httpStatus: 200, error: null };
      await stores.outbox.recordAttempt(done, { deliveryId: first.id, attempt: 2, at: T + 60_001, status: 'delivered', httpStatus: 200, error: null });
      expect(await stores.outbox.get(first.id)).toEqual(done);
      expect((await stores.outbox.due(T + 120_000, 100)).some((d) => d.id === first.id)).toBe(false);

      const mine = await stores.outbox.forAlert(9_000_001);
      expect(mine.map((m) => m.delivery.id)).toEqual([first.id, later.id]);
      expect(mine[0]!.attempts.map((a) => [a.attempt, a.status, a.httpStatus])).toEqual([[1, 'pending', 500], [2, 'delivered', 200]]);
      expect((await stores.outbox.depth()).pending).toBe(before + 1);
    });

    it('ends every pending delivery of a contact point as failed', async () => {
      const { stores } = await open();
      const cp = uid('cp');
      const a = delivery(cp, null, T);
      const b = delivery(cp, null, T + 1);
      const other = delivery(uid('cp'), null, T);
      await stores.outbox.enqueue([a, b, other]);
      expect(await stores.outbox.failPending(cp, 'contact point disabled', T + 2)).toBe(2);
      expect(await stores.outbox.get(a.id)).toMatchObject({ status: 'failed', error: 'contact point disabled' });
      expect((await stores.outbox.get(other.id))!.status).toBe('pending');
    });

    it('moves a repeat timer and deletes an escalation timer, enqueuing their deliveries with them', async () => {
      const { stores } = await open();
      const alertId = 9_100_000 + n;
      const cp = uid('cp');
      await stores.outbox.enqueue([], [
        { alertId, policyId: 'p', kind: 'repeat', dueAt: T + 1000 },
        { alertId, policyId: 'p', kind: 'escalate', dueAt: T + 5000 },
      ]);
      expect((await stores.outbox.dueTimers(T + 1000)).filter((t) => t.alertId === alertId).map((t) => t.kind)).toEqual(['repeat']);
      const reminder = delivery(cp, alertId, T + 1000, { transition: 'repeat' });
      await stores.outbox.settleTimer({ alertId, policyId: 'p', kind: 'repeat', dueAt: T + 1000 }, [reminder], T + 601_000);
      expect((await stores.outbox.get(reminder.id))!.transition).toBe('repeat');
      expect((await stores.outbox.timers(alertId)).map((t) => [t.kind, t.dueAt])).toEqual([['escalate', T + 5000], ['repeat', T + 601_000]]);
      await stores.outbox.settleTimer({ alertId, policyId: 'p', kind: 'escalate', dueAt: T + 5000 }, []);
      expect((await stores.outbox.timers(alertId)).map((t) => t.kind)).toEqual(['repeat']);
    });

    it("writes what the record hook enqueues in the transition's transaction, and rolls both back when it throws", async () => {
      const { stores, alerts } = await open();
      const cp = uid('cp');
      try {
        await alerts.setRecordHook((e) => stores.outbox.enqueue([delivery(cp, e.alertId, T, { transition: e.kind === 'fired' ? 'fired' : 'resolved' })]));
        const a = await alerts.open(newAlert(uid('gas')), { kind: 'fired', at: T, value: 120, actor: 'system' });
        expect((await stores.outbox.forAlert(a.id)).map((d) => d.delivery.transition)).toEqual(['fired']);

        await alerts.setRecordHook((e) => {
          stores.outbox.enqueue([delivery(cp, e.alertId, T, { transition: 'resolved' })]);
          throw new Error('the outbox is full');
        });
        expect(await failure(() => alerts.transition({ ...a, state: 'resolved', resolvedAt: T + 1 }, { kind: 'resolved', at: T + 1, value: 10, actor: 'system' })))
          .toMatchObject({ message: 'the outbox is full' });
        expect((await alerts.get(a.id))!.state).toBe('firing');
        expect((await alerts.transitions(a.id)).map((t) => t.kind)).toEqual(['fired']);
        expect((await stores.outbox.forAlert(a.id)).map((d) => d.delivery.transition)).toEqual(['fired']);

        const device = uid('gas');
        expect(await failure(() => alerts.open(newAlert(device), { kind: 'fired', at: T, value: 120, actor: 'system' }))).toMatchObject({ message: 'the outbox is full' });
        expect((await alerts.active()).some((x) => x.deviceId === device)).toBe(false);
      } finally {
        await alerts.setRecordHook(undefined);
      }
    });
  });
}
