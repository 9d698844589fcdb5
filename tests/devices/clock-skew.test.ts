import { describe, expect, it } from '@jest/globals';
import type { Reading } from '../../src/core/index.js';
import { createClockSkew } from '../../src/devices/index.js';

const reading = (deviceId: string, ts: number, receivedAt: number): Reading => ({ deviceId, domain: 'safety', type: 'noise', ts, receivedAt, values: { level: 40 } });

describe('the clock skew estimate', () => {
  it('takes one sample per message, by its newest reading: a late batch of old readings is not a slow clock', () => {
    const skew = createClockSkew();
    const at = 1_800_000_000_000;
    // A device back from an outage sends 60 readings of the last 10 minutes in one message; its clock is 2 s behind.
    const backlog = Array.from({ length: 60 }, (_, i) => reading('d', at - 2000 - (59 - i) * 10_000, at));
    skew.record(backlog);
    expect(skew.medianMs('d')).toBe(-2000);
    // Then two live messages, each one sample.
    skew.record([reading('d', at + 1000 - 2100, at + 1000), reading('d', at + 2000 - 1900, at + 2000)]);
    expect(skew.medianMs('d')).toBe(-2000);
  });

  it('ignores readings that took the receive time, and keeps devices apart', () => {
    const skew = createClockSkew();
    skew.record([reading('a', 5000, 5000), reading('b', 4500, 5000), reading('a', 6000, 6000)]);
    expect(skew.medianMs('a')).toBeNull();
    expect(skew.medianMs('b')).toBe(-500);
  });
});
