import { afterEach, describe, expect, it } from '@jest/globals';
import type { AlertEvent, NewAlert, TransitionInput } from '../../src/core/index.js';
import type { AlertStore } from '../../src/storage/index.js';
import { failure, placeKeeper, type Either, type Place } from './contract-helpers.js';

/** A new, empty database per call, which the contract opens more than once (a restart). */
export interface AlertStoreSubject {
  place(): Promise<Place<{ alerts: Either<AlertStore> }>>;
}

const fresh = (i: number, over: Partial<NewAlert> = {}): NewAlert => ({
  ruleId: 'carbon-monoxide', ruleName: 'carbon monoxide', deviceId: `gas-${i % 3}`, domain: 'safety', type: 'gas', district: null, metric: 'co',
  severity: i % 2 ? 'critical' : 'warning', state: 'firing', message: 'co', value: 60 + i, threshold: 50, firedAt: 1_000_000 + i * 1000,
  acknowledgedAt: null, acknowledgedBy: null, resolvedAt: null, resolvedBy: null, lastValue: 60 + i, lastValueAt: 1_000_000 + i * 1000, silenced: false, ...over,
});
const fired = (at: number): TransitionInput => ({ kind: 'fired', at, value: 1, actor: 'system' });

/**
 * What every adapter of the alert store must do: alerts with their transitions, eventIds strictly increasing and
 * never reused (the order a resuming client replays), paging newest first, and the record hook inside each
 * transition's transaction. Every call is awaited, so the suite runs unchanged against an asynchronous adapter.
 */
export function alertStoreContract(name: string, subject: AlertStoreSubject): void {
  describe(`AlertStore contract: ${name}`, () => {
    const keeper = placeKeeper(() => subject.place());
    afterEach(() => keeper.cleanup());
    const open = async () => (await (await keeper.place()).open()).alerts;

    it('opens an alert with its fired transition, and gives it back whole', async () => {
      const alerts = await open();
      const a = await alerts.open(fresh(1, { district: 'Xixia', deviceId: 'gas-x' }), { kind: 'fired', at: 5, value: 61, actor: 'system' });
      expect(a).toEqual({ ...fresh(1, { district: 'Xixia', deviceId: 'gas-x' }), id: expect.any(Number), eventId: expect.any(Number) });
      expect(await alerts.get(a.id)).toEqual(a);
      expect(await alerts.get(a.id + 1000)).toBeUndefined();
      expect(await alerts.transitions(a.id)).toEqual([{ eventId: a.eventId, alertId: a.id, kind: 'fired', at: 5, value: 61, actor: 'system', actorId: null }]);
      expect(await alerts.active()).toEqual([a]);
    });

    it('pages newest first and returns each alert exactly once while new ones are inserted', async () => {
      const alerts = await open();
      for (let i = 0; i < 25; i++) await alerts.open(fresh(i), fired(i));
      const seen: number[] = [];
      let before: number | undefined;
      for (let page = 0; page < 10; page++) {
        const rows = await alerts.list({ limit: 7, before });
        seen.push(...rows.map((a) => a.id));
        for (let j = 0; j < 3; j++) await alerts.open(fresh(100 + page * 3 + j), fired(0)); // arrivals while paging
        if (rows.length < 7) break;
        before = rows[rows.length - 1]!.id;
      }
      expect(seen).toHaveLength(25);
      expect(new Set(seen).size).toBe(25);
      expect(seen).toEqual([...seen].sort((a, b) => b - a));
    });

    it('filters by state, severity, domain, device and firing time', async () => {
      const alerts = await open();
      const a = await alerts.open(fresh(1, { deviceId: 'filter-me', severity: 'info' }), fired(1));
      const b = await alerts.open(fresh(2, { deviceId: 'filter-me', firedAt: 5 }), fired(2));
      const c = await alerts.open(fresh(3, { deviceId: 'bus-1', domain: 'transport', type: 'bus' }), fired(3));
      await alerts.transition({ ...b, state: 'resolved', resolvedAt: 10, resolvedBy: 'x' }, { kind: 'resolved', at: 10, value: null, actor: 'x' });
      const ids = async (f: Omit<Parameters<AlertStore['list']>[0], 'limit'>) => (await alerts.list({ limit: 10, ...f })).map((x) => x.id);
      expect(await ids({ deviceId: 'filter-me' })).toEqual([b.id, a.id]);
      expect(await ids({ deviceId: 'filter-me', states: ['resolved'] })).toEqual([b.id]);
      expect(await ids({ states: ['firing', 'acknowledged'] })).toEqual([c.id, a.id]);
      expect(await ids({ deviceId: 'filter-me', severity: 'info' })).toEqual([a.id]);
      expect(await ids({ deviceId: 'filter-me', from: 0, to: 6 })).toEqual([b.id]);
      expect(await ids({ domain: 'transport' })).toEqual([c.id]);
      expect(await ids({ deviceId: "filter-me' OR '1'='1" })).toEqual([]);
      expect((await alerts.active()).some((x) => x.id === b.id)).toBe(false);
      expect((await alerts.active()).map((x) => x.id)).toEqual([a.id, c.id]); // oldest first
    });

    it('gives every transition a strictly increasing eventId and keeps the alert as it was at each', async () => {
      const alerts = await open();
      const a = await alerts.open(fresh(7), fired(7));
      const acked = await alerts.transition({ ...a, state: 'acknowledged', acknowledgedAt: 8, acknowledgedBy: 'me' }, { kind: 'acknowledged', at: 8, value: 1, actor: 'me', note: 'ok' });
      expect(acked.eventId).toBeGreaterThan(a.eventId);
      expect(await alerts.get(a.id)).toMatchObject({ state: 'acknowledged', eventId: acked.eventId });
      const events = await alerts.eventsAfter(a.eventId - 1, 10);
      expect(events.map((e) => [e.kind, e.alert.state, e.alert.eventId === e.eventId])).toEqual([['fired', 'firing', true], ['acknowledged', 'acknowledged', true]]);
      expect((await alerts.transitions(a.id)).map((t) => t.note)).toEqual([undefined, 'ok']);
    });

    it('replays transitions of every alert in eventId order from any point, a page at a time, and keeps who did each', async () => {
      const alerts = await open();
      const a = await alerts.open(fresh(1), fired(1));
      const b = await alerts.open(fresh(2), fired(2));
      const aAcked = await alerts.transition({ ...a, state: 'acknowledged', acknowledgedAt: 3, acknowledgedBy: 'Mei', acknowledgedById: 'user-mei' },
        { kind: 'acknowledged', at: 3, value: 1, actor: 'Mei', actorId: 'user-mei' });
      const bResolved = await alerts.transition({ ...b, state: 'resolved', resolvedAt: 4, resolvedBy: 'night desk', resolvedById: 'token:t1' },
        { kind: 'resolved', at: 4, value: null, actor: 'night desk', actorId: 'token:t1' });
      const all = await alerts.eventsAfter(0, 100);
      expect(all.map((e) => [e.alertId, e.kind, e.actorId])).toEqual([[a.id, 'fired', null], [b.id, 'fired', null], [a.id, 'acknowledged', 'user-mei'], [b.id, 'resolved', 'token:t1']]);
      expect(all.map((e) => e.eventId)).toEqual([a.eventId, b.eventId, aAcked.eventId, bResolved.eventId]);
      expect(all.map((e) => e.eventId)).toEqual([...all.map((e) => e.eventId)].sort((x, y) => x - y));
      expect(all[3]!.alert).toEqual(bResolved);
      const page = await alerts.eventsAfter(b.eventId, 1);
      expect(page.map((e) => e.eventId)).toEqual([aAcked.eventId]);
      expect(await alerts.eventsAfter(bResolved.eventId, 10)).toEqual([]);
    });

    it('keeps its alerts, and eventIds going up, across a restart', async () => {
      const place = await keeper.place();
      const first = await place.open();
      const a = await first.alerts.open(fresh(1), fired(1));
      const acked = await first.alerts.transition({ ...a, state: 'acknowledged', acknowledgedAt: 2, acknowledgedBy: 'me' }, { kind: 'acknowledged', at: 2, value: 1, actor: 'me' });
      await first.close();
      const again = (await place.open()).alerts;
      expect(await again.get(a.id)).toEqual(acked);
      expect(await again.active()).toEqual([acked]);
      const b = await again.open(fresh(2), fired(3));
      expect(b.id).toBeGreaterThan(a.id);
      expect(b.eventId).toBeGreaterThan(acked.eventId);
    });

    it('stores the newest values of open alerts without a transition', async () => {
      const alerts = await open();
      const a = await alerts.open(fresh(1), fired(1));
      await alerts.updateLastValues([{ id: a.id, lastValue: 99, lastValueAt: 1_500_000 }, { id: a.id + 1000, lastValue: 1, lastValueAt: 1 }]);
      await alerts.updateLastValues([]);
      expect(await alerts.get(a.id)).toEqual({ ...a, lastValue: 99, lastValueAt: 1_500_000 });
      expect(await alerts.transitions(a.id)).toHaveLength(1);
    });

    it("runs the record hook inside each transition's transaction: it sees the transition, and when it throws nothing is kept", async () => {
      const alerts = await open();
      const seen: AlertEvent[] = [];
      await alerts.setRecordHook((e) => { seen.push(e); });
      const a = await alerts.open(fresh(1), fired(1));
      expect(seen).toEqual([{ ...fired(1), eventId: a.eventId, alertId: a.id, alert: a }]);
      await alerts.setRecordHook(() => { throw new Error('the outbox is full'); });
      expect(await failure(() => alerts.transition({ ...a, state: 'resolved', resolvedAt: 2, resolvedBy: 'system' }, { kind: 'resolved', at: 2, value: 10, actor: 'system' })))
        .toMatchObject({ message: 'the outbox is full' });
      expect(await alerts.get(a.id)).toEqual(a);
      expect((await alerts.transitions(a.id)).map((t) => t.kind)).toEqual(['fired']);
      expect(await failure(() => alerts.open(fresh(2, { deviceId: 'gas-new' }), fired(2)))).toMatchObject({ message: 'the outbox is full' });
      expect((await alerts.list({ limit: 10, deviceId: 'gas-new' }))).toEqual([]);
      await alerts.setRecordHook(undefined);
      const b = await alerts.open(fresh(3), fired(3));
      expect(b.eventId).toBeGreaterThan(a.eventId);
      expect(seen).toHaveLength(1);
    });
  });
}
