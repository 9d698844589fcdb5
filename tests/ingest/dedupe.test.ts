import { describe, expect, it } from '@jest/globals';
import { SeqMemory } from '../../src/ingest/dedupe.js';

describe('the seq memory', () => {
  it('keeps every seq in order while its arrays grow, and none it was not given', () => {
    const m = new SeqMemory(1024);
    for (let seq = 1; seq <= 40; seq++) m.remember('d', seq, 1000 + seq); // grows 16 → 32 → 64
    for (let seq = 1; seq <= 40; seq++) expect(m.seen('d', seq, 1000 + seq)).toBe(true);
    expect(m.seen('d', 0, Number.NaN)).toBe(false); // an empty slot is not a remembered seq 0
    const [saved] = [...m.newest(1024)];
    expect(Array.from(saved!.seqs)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it('forgets the oldest past its window, and gives back the newest, oldest first', () => {
    const m = new SeqMemory(32);
    for (let seq = 0; seq < 50; seq++) m.remember('d', seq, seq);
    expect(m.seen('d', 17, 17)).toBe(false);
    expect(m.seen('d', 18, 18)).toBe(true);
    const [saved] = [...m.newest(5)];
    expect({ deviceId: saved!.deviceId, seqs: Array.from(saved!.seqs), times: Array.from(saved!.times) })
      .toEqual({ deviceId: 'd', seqs: [45, 46, 47, 48, 49], times: [45, 46, 47, 48, 49] });
  });
});
