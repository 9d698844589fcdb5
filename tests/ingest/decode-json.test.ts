import { describe, expect, it } from '@jest/globals';
import { decodePayload } from '../../src/ingest/index.js';

const receivedAt = Date.parse('2025-11-28T16:00:00.000Z');
const ctx = { deviceId: 'gas-1', receivedAt };
const decode = (doc: unknown) => decodePayload(Buffer.from(typeof doc === 'string' ? doc : JSON.stringify(doc)), ctx);

describe('JSON payload decoders', () => {
  it('form 1: a flat object is one reading at the receive time', () => {
    expect(decode({ co: 5, ch4: 1 })).toEqual({
      ok: true,
      readings: [{ ts: receivedAt, deviceTs: false, values: [{ name: 'co', value: 5 }, { name: 'ch4', value: 1 }] }],
    });
  });

  it('form 2: ts in epoch milliseconds, with seq', () => {
    expect(decode({ ts: receivedAt - 1000, seq: 17, values: { co: 5 } })).toEqual({
      ok: true,
      readings: [{ ts: receivedAt - 1000, deviceTs: true, seqs: [17], values: [{ name: 'co', value: 5 }] }],
    });
  });

  it.each([
    ['2025-11-28T15:59:00Z', receivedAt - 60_000],
    ['2025-11-28T15:59:00.250Z', receivedAt - 59_750],
    ['2025-11-28T15:59:00.250999Z', receivedAt - 59_750],
    ['2025-11-28T17:59:00+02:00', receivedAt - 60_000],
    ['2025-11-28t15:59:00z', receivedAt - 60_000],
    ['2025-11-28 15:59:00Z', receivedAt - 60_000],
  ])('form 2: ts as RFC 3339 %s', (ts, want) => {
    const r = decode({ ts, values: { co: 5 } });
    expect(r.ok && r.readings[0]!.ts).toBe(want);
  });

  it('form 2 without ts takes the receive time', () => {
    const r = decode({ seq: 3, values: { co: 5 } });
    expect(r).toMatchObject({ ok: true, readings: [{ ts: receivedAt, deviceTs: false, seqs: [3] }] });
  });

  it('an array of form 2 gives one reading per timestamp, in time order, merging equal times', () => {
    const r = decode([
      { ts: receivedAt - 1000, seq: 2, values: { co: 6 } },
      { ts: receivedAt - 2000, seq: 1, values: { co: 5 } },
      { ts: receivedAt - 1000, seq: 3, values: { ch4: 1 } },
    ]);
    expect(r).toEqual({
      ok: true,
      readings: [
        { ts: receivedAt - 2000, deviceTs: true, seqs: [1], values: [{ name: 'co', value: 5 }] },
        { ts: receivedAt - 1000, deviceTs: true, seqs: [2, 3], values: [{ name: 'co', value: 6 }, { name: 'ch4', value: 1 }] },
      ],
    });
  });

  it.each<[string, unknown, string]>([
    ['malformed_json', '{"co": 5', 'truncated JSON'],
    ['malformed_json', '', 'an empty payload'],
    ['malformed_payload', '42', 'a bare number'],
    ['malformed_payload', 'null', 'null'],
    ['malformed_payload', [], 'an empty array'],
    ['malformed_payload', [1, 2], 'an array of numbers'],
    ['malformed_payload', [{ co: 5 }], 'an array of flat objects'],
    ['malformed_payload', { ts: 1, values: [5] }, 'values as an array'],
    ['malformed_payload', { values: { co: 5 }, extra: 1 }, 'a field beside ts, seq and values'],
    ['malformed_payload', { seq: -1, values: { co: 5 } }, 'a negative seq'],
    ['malformed_payload', { seq: 1.5, values: { co: 5 } }, 'a fractional seq'],
    ['malformed_payload', [{ ts: 1, values: { co: 5 } }, 7], 'an array with a non-object'],
    ['bad_timestamp', { ts: 'yesterday', values: { co: 5 } }, 'an unparseable ts string'],
    ['bad_timestamp', { ts: '2025-02-30T00:00:00Z', values: { co: 5 } }, 'a date that does not exist'],
    ['bad_timestamp', { ts: true, values: { co: 5 } }, 'a boolean ts'],
  ])('refuses as %s: %s (%s)', (reason, doc) => {
    const r = decode(doc);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toBe(reason);
  });

  it('refuses a payload over 64 KiB before parsing it', () => {
    const r = decodePayload(Buffer.alloc(64 * 1024 + 1, 0x20), ctx);
    expect(r).toMatchObject({ ok: false, reason: 'too_large' });
    expect(decodePayload(Buffer.from(`{"co":5}${' '.repeat(64 * 1024 - 8)}`), ctx).ok).toBe(true);
  });

  it('refuses bytes that are not UTF-8 as malformed_json', () => {
    expect(decodePayload(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), ctx)).toMatchObject({ ok: false, reason: 'malformed_json' });
  });
});
