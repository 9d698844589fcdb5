import { afterEach, describe, expect, it } from '@jest/globals';
import type { Reading } from '../../src/core/index.js';
import { rowBytes, Spool, type SpoolRow } from '../../src/ingest/spool.js';
import { join } from 'node:path';
import { spoolRows, tempDir } from './fakes.js';

const t0 = Date.now() - 60_000;
function rows(from: number, n: number): SpoolRow[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    const reading: Reading = { deviceId: 'gas-1', domain: 'safety', type: 'gas', ts: t0 + i, receivedAt: t0 + i, seq: i, values: { co: i } };
    const vals = JSON.stringify(reading.values);
    return { reading, vals, bytes: rowBytes(reading, vals) };
  });
}
const seqs = (b: { readings: readonly Reading[] }) => b.readings.map((r) => r.seq);

describe('the spool read back from memory and from disk', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    while (cleanups.length) cleanups.pop()!();
  });
  function open(dir: string, tailMax?: number): Spool {
    const s = new Spool(join(dir, 'spool.db'), tailMax);
    cleanups.push(() => s.close());
    return s;
  }
  function dir(): string {
    const tmp = tempDir();
    cleanups.push(tmp.remove);
    return tmp.dir;
  }

  it('hands out what was appended in order, across appends, in batches of at most the limit', () => {
    const s = open(dir());
    s.append(rows(0, 3));
    s.append(rows(3, 4));
    s.append(rows(7, 1));
    const batches = [];
    for (let after = 0; ; ) {
      const b = s.oldest(5, after);
      if (b.readings.length === 0) break;
      batches.push(b);
      after = b.lastId;
    }
    expect(batches.flatMap(seqs)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(batches.every((b) => b.readings.length <= 5)).toBe(true);
    const [a, ...rest] = batches;
    s.remove([a!]);
    expect(s.depth).toBe(8 - a!.readings.length);
    expect(seqs(s.oldest(10))).toEqual(rest.flatMap(seqs));
    s.remove(rest);
    expect(s).toMatchObject({ depth: 0, bytes: 0 });
  });

  it('reads from disk what no longer fits in memory, then goes on from memory', () => {
    const d = dir();
    const s = open(d, 10);
    for (let i = 0; i < 5; i++) s.append(rows(i * 6, 6)); // 30 rows; memory keeps the newest appends only
    const seen: number[] = [];
    for (let after = 0; ; ) {
      const b = s.oldest(7, after);
      if (b.readings.length === 0) break;
      seen.push(...(seqs(b) as number[]));
      after = b.lastId;
    }
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(s.oldestReceivedAt()).toBe(t0);
    // Remove in uneven steps, across the disk/memory boundary and through the middle of an append.
    const steps = [4, 9, 10, 7, 3];
    for (let i = 0; s.depth > 0 && i < 20; i++) s.remove([s.oldest(steps[i % steps.length]!)]);
    expect(s.depth).toBe(0);
    expect(s.bytes).toBe(0);
    expect(spoolRows(d)).toHaveLength(0);
  });

  it('keeps its byte count equal to what a fresh open counts', () => {
    const d = dir();
    const s = open(d, 4);
    for (let i = 0; i < 4; i++) s.append(rows(i * 3, 3));
    s.remove([s.oldest(5)]);
    s.remove([s.oldest(2)]);
    const { depth, bytes } = s;
    s.close();
    const again = open(d);
    expect({ depth: again.depth, bytes: again.bytes }).toEqual({ depth, bytes });
    expect(seqs(again.oldest(100))).toEqual([7, 8, 9, 10, 11]);
  });
});
