import { describe, expect, it } from '@jest/globals';
import { AlertBoard, compareAlerts } from '../../console/src/lib/alert-board.js';
import type { Alert } from '../../console/src/types.js';

let nextId = 1;
function alert(over: Partial<Alert> & { eventId: number }): Alert {
  return {
    id: nextId++, ruleId: 'carbon-monoxide', ruleName: 'carbon monoxide', deviceId: 'gas-1', domain: 'safety', type: 'gas',
    district: 'Xingqing', metric: 'co', severity: 'critical', state: 'firing', message: 'carbon monoxide: co 80 (> 50)', value: 80,
    threshold: 50, firedAt: '2026-01-31T12:00:00.000Z', acknowledgedAt: null, acknowledgedBy: null, acknowledgedById: null, resolvedAt: null, resolvedBy: null, resolvedById: null,
    lastValue: 80, lastValueAt: '2026-01-31T12:00:00.000Z', silenced: false, ...over,
  };
}

describe('the alert board state (resume without missing or duplicating)', () => {
  it('resumes from the highest transition seen, never from a snapshot', () => {
    const board = new AlertBoard();
    const old = alert({ eventId: 7, state: 'resolved' });
    board.seed([old, alert({ eventId: 4 })]);
    expect(board.lastEventId).toBe(7);
    board.applySnapshot([alert({ eventId: 20 })]);
    expect(board.lastEventId).toBe(7);
    expect(board.active.size).toBe(1);
    board.applyEvent('fired', alert({ eventId: 21 }));
    expect(board.lastEventId).toBe(21);
  });

  it('records a transition once when a replay repeats what arrived live, and alarms once', () => {
    const board = new AlertBoard();
    const a = alert({ eventId: 5 });
    expect(board.applyEvent('fired', a)).toEqual({ fresh: true, alarm: true });
    expect(board.applyEvent('fired', a)).toEqual({ fresh: false, alarm: false });
    expect(board.feed.map((e) => e.eventId)).toEqual([5]);
    expect(board.sorted()).toHaveLength(1);
  });

  it('never lets a replayed older transition overwrite a newer state', () => {
    const board = new AlertBoard();
    const fired = alert({ eventId: 8 });
    const acked = { ...fired, state: 'acknowledged' as const, eventId: 10, acknowledgedBy: 'night shift' };
    // After a reconnect: the snapshot (current: acknowledged) comes first, then the replay from `since`.
    board.applySnapshot([acked]);
    board.applyEvent('fired', fired);
    board.applyEvent('acknowledged', acked);
    expect(board.active.get(fired.id)?.state).toBe('acknowledged');
    expect(board.feed.map((e) => [e.eventId, e.kind])).toEqual([[10, 'acknowledged'], [8, 'fired']]);
  });

  it('shows an alert fired and resolved during a drop in the feed only', () => {
    const board = new AlertBoard();
    const fired = alert({ eventId: 3 });
    board.applySnapshot([]);
    board.applyEvent('fired', fired);
    board.applyEvent('resolved', { ...fired, state: 'resolved', eventId: 4, resolvedAt: '2026-01-31T12:01:00.000Z' });
    board.applySnapshot([]);
    expect(board.active.size).toBe(0);
    expect(board.feed.map((e) => e.kind)).toEqual(['resolved', 'fired']);
  });

  it('keeps its own ack when a snapshot taken before it arrives', () => {
    const board = new AlertBoard();
    const fired = alert({ eventId: 12 });
    board.applySnapshot([fired]);
    board.applyAnswer({ ...fired, state: 'acknowledged', eventId: 13 });
    board.applySnapshot([fired]);
    expect(board.active.get(fired.id)?.state).toBe('acknowledged');
  });

  it('orders the most severe first, then the newest', () => {
    const info = alert({ eventId: 1, severity: 'info', firedAt: '2026-01-31T12:05:00.000Z' });
    const oldCritical = alert({ eventId: 2, firedAt: '2026-01-31T12:00:00.000Z' });
    const newCritical = alert({ eventId: 3, firedAt: '2026-01-31T12:03:00.000Z' });
    const warning = alert({ eventId: 4, severity: 'warning', firedAt: '2026-01-31T12:04:00.000Z' });
    expect([info, oldCritical, warning, newCritical].sort(compareAlerts)).toEqual([newCritical, oldCritical, warning, info]);
  });
});
