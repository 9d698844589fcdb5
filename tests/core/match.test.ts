// core's one `matches(match, subject)`: rules, silences, notification policies, scopes and live filters all use it.
import { describe, expect, it } from '@jest/globals';
import { matches } from '../../src/core/index.js';

const alert = { ruleId: 'co-high', deviceId: 'gas-1', domain: 'safety', type: 'gas', district: 'Xingqing' as string | null, severity: 'critical' };

describe('matches(match, subject)', () => {
  it('matches everything with an empty match, and fields left undefined do not narrow', () => {
    expect(matches({}, alert)).toBe(true);
    expect(matches({ domain: undefined, deviceId: undefined }, alert)).toBe(true);
  });

  it('needs every named field to equal the subject’s', () => {
    expect(matches({ domain: 'safety', type: 'gas' }, alert)).toBe(true);
    expect(matches({ domain: 'safety', type: 'smoke' }, alert)).toBe(false);
    expect(matches({ ruleId: 'co-high', deviceId: 'gas-2' }, alert)).toBe(false);
  });

  it('takes a list or a Set as "one of these"; an empty one matches nothing', () => {
    expect(matches({ severity: ['warning', 'critical'] }, alert)).toBe(true);
    expect(matches({ severity: ['info'] }, alert)).toBe(false);
    expect(matches({ district: new Set(['Xingqing', 'Jinfeng']) }, alert)).toBe(true);
    expect(matches({ district: new Set<string>() }, alert)).toBe(false);
    expect(matches({ domain: [] as string[] }, alert)).toBe(false);
  });

  it('never matches a named district on a subject without one', () => {
    const nowhere = { ...alert, district: null as string | null };
    expect(matches({ district: 'Xingqing' }, nowhere)).toBe(false);
    expect(matches({ district: ['Xingqing'] }, nowhere)).toBe(false);
    expect(matches({ district: new Set(['Xingqing']) }, nowhere)).toBe(false);
    expect(matches({ domain: 'safety' }, nowhere)).toBe(true);
  });
});
