import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { handle, message, metricValue, spoolRows, startIngest, tempDir, until, type Rig } from './fakes.js';

describe('refusals: counted, dead-lettered, never stored', () => {
  const tmp = tempDir();
  let rig: Rig;
  let n = 0;
  const nextId = () => `dev-${++n}`;
  beforeAll(async () => {
    rig = await startIngest(tmp.dir);
  });
  afterAll(async () => {
    await rig.ingest.close();
    tmp.remove();
  });

  const now = Date.now();
  const big = JSON.stringify({ co: 5, pad: 'x'.repeat(70 * 1024) });
  const cases: [string, string | Buffer, { domain?: string; type?: string }][] = [
    ['too_large', big, {}],
    ['malformed_json', '{"co": 5', {}],
    ['malformed_json', Buffer.from([0xc3, 0x28]), {}],
    ['malformed_payload', '[1, 2, 3]', {}],
    ['malformed_payload', JSON.stringify({ values: { co: 5 }, battery: 80 }), {}],
    ['unknown_metric', JSON.stringify({ pressure: 3 }), {}],
    ['unknown_metric', JSON.stringify({ co: 3 }), { domain: 'safety', type: 'volcano' }],
    ['wrong_type', JSON.stringify({ co: 'high' }), {}],
    ['wrong_type', JSON.stringify([{ n: 'co', vs: 'high' }]), {}],
    ['out_of_range', JSON.stringify({ co: 2001 }), {}],
    ['out_of_range', JSON.stringify({ ch4: -1 }), {}],
    ['bad_unit', JSON.stringify([{ n: 'co', u: 'Cel', v: 5 }]), {}],
    ['bad_timestamp', JSON.stringify({ ts: now + 3_600_000, values: { co: 5 } }), {}],
    ['bad_timestamp', JSON.stringify({ ts: now - 8 * 86_400_000, values: { co: 5 } }), {}],
    ['bad_timestamp', JSON.stringify({ ts: 'last tuesday', values: { co: 5 } }), {}],
    ['bad_timestamp', JSON.stringify([{ n: 'co', v: 5, bt: 1_000_000_000 }]), {}],
    ['wrong_device', JSON.stringify([{ bn: 'someone-else/', n: 'co', v: 5 }]), {}],
  ];

  it.each(cases)('refuses %s (%#): one dead letter, acknowledged, nothing spooled or stored', async (reason, payload, where) => {
    const id = nextId();
    const msg = message(id, payload, { ...where, receivedAt: now });
    const before = rig.ingest.stats().refused[reason]!;
    const counted = await metricValue(rig.registry, 'citysense_messages_refused_total', { reason });
    const err = await handle(rig.ingest, msg);
    expect(err).toBeUndefined(); // acknowledged: a resend would be refused again
    const letters = rig.letters.letters.filter((l) => l.deviceId === id);
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ reason, deviceId: id, topic: msg.topic, receivedAt: now });
    expect(letters[0]!.detail.length).toBeGreaterThan(0);
    expect(letters[0]!.payload === msg.payload.subarray(0, 64 * 1024).toString('utf8')).toBe(true); // whole up to 64 KiB, for a replay
    expect(rig.ingest.stats().refused[reason]).toBe(before + 1);
    expect(await metricValue(rig.registry, 'citysense_messages_refused_total', { reason })).toBe(counted + 1);
    expect(spoolRows(tmp.dir).filter((r) => r.device_id === id)).toHaveLength(0);

    // A valid message after it is stored, and the refused one never is.
    expect(await handle(rig.ingest, message(id, JSON.stringify({ co: 1 }), where.type === 'volcano' ? {} : where))).toBeUndefined();
    await until(async () => (await rig.store.count(id)) === 1, 'the valid reading');
    expect([...rig.store.points.values()].filter((r) => r.deviceId === id).map((r) => r.values)).toEqual([{ co: 1 }]);
  });

  it('keeps the first 64 KiB of a refused payload larger than a message may be', async () => {
    const id = nextId();
    await handle(rig.ingest, message(id, big));
    const letter = rig.letters.letters.find((l) => l.deviceId === id)!;
    expect(letter.payload).toBe(big.slice(0, 64 * 1024));
  });

  it('refuses a message whole when one part of it is invalid', async () => {
    const id = nextId();
    const t = Date.now() - 10_000;
    const err = await handle(rig.ingest, message(id, JSON.stringify([{ ts: t, values: { co: 5 } }, { ts: t + 1000, values: { co: 9999 } }])));
    expect(err).toBeUndefined();
    expect(rig.letters.letters.find((l) => l.deviceId === id)?.reason).toBe('out_of_range');
    expect(spoolRows(tmp.dir).filter((r) => r.device_id === id)).toHaveLength(0);
  });

  it('converts a unit the catalog allows instead of refusing it', async () => {
    const id = nextId();
    const got: number[] = [];
    rig.ingest.onAccepted((rs) => rs.filter((r) => r.deviceId === id).forEach((r) => got.push(r.values.temp as number)));
    await handle(rig.ingest, message(id, JSON.stringify([{ n: 'temp', u: 'degF', v: 212 }]), { type: 'smoke' }));
    expect(got).toEqual([100]);
  });

  it('records a publish the broker refused (not_authorized): counted and dead-lettered, never stored', async () => {
    const id = nextId();
    const before = rig.ingest.stats().refused.not_authorized!;
    rig.ingest.refuse({ deviceId: id, topic: 'city/safety/smoke/other', payload: Buffer.from('{"obscuration": 50}'), receivedAt: now }, 'not_authorized', 'not its topic');
    await until(() => rig.letters.letters.some((l) => l.deviceId === id), 'the dead letter');
    expect(rig.letters.letters.find((l) => l.deviceId === id)).toMatchObject({
      reason: 'not_authorized', topic: 'city/safety/smoke/other', detail: 'not its topic', payload: '{"obscuration": 50}',
    });
    expect(rig.ingest.stats().refused.not_authorized).toBe(before + 1);
    expect(await metricValue(rig.registry, 'citysense_messages_refused_total', { reason: 'not_authorized' })).toBe(before + 1);
    expect(spoolRows(tmp.dir).filter((r) => r.device_id === id)).toHaveLength(0);
  });

  it('writes the dead letters of one event-loop turn in one batch', async () => {
    const id = nextId();
    const batchesBefore = rig.letters.batches.length;
    const dones = Array.from({ length: 50 }, () => handle(rig.ingest, message(id, '{not json')));
    rig.ingest.refuse({ deviceId: id, topic: 'city/x', payload: Buffer.from('x'), receivedAt: now }, 'not_authorized', 'test');
    await Promise.all(dones);
    expect(rig.letters.batches.slice(batchesBefore)).toEqual([51]);
  });
});

describe('duplicates', () => {
  const tmp = tempDir();
  let rig: Rig;
  beforeAll(async () => {
    rig = await startIngest(tmp.dir);
  });
  afterAll(async () => {
    await rig.ingest.close();
    tmp.remove();
  });
  const seqsStored = (id: string) => [...rig.store.points.values()].filter((r) => r.deviceId === id).map((r) => r.seq).sort((a, b) => a! - b!);

  it('drops a repeated (device, seq) that a QoS 1 resend creates, with a dead letter', async () => {
    const ts = Date.now() - 5000;
    const msg = JSON.stringify({ ts, seq: 41, values: { co: 12 } });
    expect(await handle(rig.ingest, message('d1', msg))).toBeUndefined();
    expect(await handle(rig.ingest, message('d1', msg))).toBeUndefined();
    expect(await handle(rig.ingest, message('d1', JSON.stringify({ ts: ts + 1000, seq: 42, values: { co: 13 } })))).toBeUndefined();
    // The same seq from another device is not a duplicate.
    expect(await handle(rig.ingest, message('d2', msg))).toBeUndefined();
    expect(rig.letters.letters.filter((l) => l.reason === 'duplicate').map((l) => l.deviceId)).toEqual(['d1']);
    await until(async () => (await rig.store.count()) === 3, 'three readings stored');
    expect(seqsStored('d1')).toEqual([41, 42]);
    expect(rig.ingest.stats().refused.duplicate).toBe(1);
  });

  it('catches a resend that arrives in the same event-loop turn', async () => {
    const msg = JSON.stringify({ ts: Date.now() - 5000, seq: 7, values: { co: 12 } });
    const [a, b] = await Promise.all([handle(rig.ingest, message('d3', msg)), handle(rig.ingest, message('d3', msg))]);
    expect([a, b]).toEqual([undefined, undefined]);
    await until(async () => (await rig.store.count('d3')) === 1, 'one reading stored');
    expect(rig.letters.letters.filter((l) => l.deviceId === 'd3').map((l) => l.reason)).toEqual(['duplicate']);
  });

  it('keeps the new readings of an array that repeats a seq, and dead-letters the repeat', async () => {
    const t = Date.now() - 60_000;
    await handle(rig.ingest, message('d4', JSON.stringify({ ts: t, seq: 1, values: { co: 1 } })));
    expect(await handle(rig.ingest, message('d4', JSON.stringify([{ ts: t + 1000, seq: 2, values: { co: 2 } }, { ts: t, seq: 1, values: { co: 1 } }])))).toBeUndefined();
    expect(rig.letters.letters.filter((l) => l.deviceId === 'd4').map((l) => [l.reason, l.detail])).toEqual([
      ['duplicate', 'seq 1 was already received: those readings were dropped, the other 1 kept'],
    ]);
    await until(async () => rig.ingest.stats().spoolDepth === 0, 'the spool to drain');
    expect(seqsStored('d4')).toEqual([1, 2]);
    // Every seq repeated: the whole message is the duplicate, as for a single reading.
    await handle(rig.ingest, message('d4', JSON.stringify([{ ts: t + 1000, seq: 2, values: { co: 2 } }, { ts: t, seq: 1, values: { co: 1 } }])));
    expect(rig.letters.letters.filter((l) => l.deviceId === 'd4').map((l) => l.detail).at(-1)).toBe('seqs 1, 2 were already received');
    expect(seqsStored('d4')).toEqual([1, 2]);
  });

  it('gives readings without a device time a receive time no earlier message of the device has', async () => {
    const at = Date.now();
    const flat = (id: string, co: number) => handle(rig.ingest, message(id, JSON.stringify({ co }), { receivedAt: at }));
    await Promise.all([flat('d7', 1), flat('d7', 2), flat('d7', 3), flat('d8', 4)]);
    await until(() => rig.ingest.stats().spoolDepth === 0, 'the spool to drain');
    const stored = (id: string) => [...rig.store.points.values()].filter((r) => r.deviceId === id).map((r) => [r.ts, r.receivedAt, r.values.co]);
    expect(stored('d7')).toEqual([[at, at, 1], [at + 1, at + 1, 2], [at + 2, at + 2, 3]]);
    expect(stored('d8')).toEqual([[at, at, 4]]); // another device's clock is its own
  });

  it('knows a resend after a graceful restart, though its reading has left the spool', async () => {
    const restartDir = tempDir();
    try {
      const ts = Date.now() - 5000;
      const timed = JSON.stringify({ ts, seq: 9, values: { co: 5 } });
      const untimed = JSON.stringify({ seq: 10, values: { co: 6 } });
      const first = await startIngest(restartDir.dir);
      for (const m of [timed, untimed]) expect(await handle(first.ingest, message('d9', m))).toBeUndefined();
      await first.ingest.drain(Date.now() + 5000);
      expect(first.ingest.stats().spoolDepth).toBe(0);
      await first.ingest.close();

      const second = await startIngest(restartDir.dir);
      for (const m of [timed, untimed]) expect(await handle(second.ingest, message('d9', m))).toBeUndefined();
      expect(second.letters.letters.map((l) => [l.reason, l.detail])).toEqual([
        ['duplicate', 'seq 9 was already received'],
        ['duplicate', 'seq 10 was already received'],
      ]);
      // A new seq is taken, and the restart after it remembers it too.
      expect(await handle(second.ingest, message('d9', JSON.stringify({ ts: ts + 1, seq: 11, values: { co: 7 } })))).toBeUndefined();
      await second.ingest.close();
      const third = await startIngest(restartDir.dir);
      await handle(third.ingest, message('d9', JSON.stringify({ ts: ts + 1, seq: 11, values: { co: 7 } })));
      await handle(third.ingest, message('d9', timed));
      expect(third.letters.letters.map((l) => l.detail)).toEqual(['seq 11 was already received', 'seq 9 was already received']);
      await third.ingest.close();
    } finally {
      restartDir.remove();
    }
  });

  it('takes a repeated seq with another device time: a device that restarted its counter, not a resend', async () => {
    const t = Date.now() - 60_000;
    await handle(rig.ingest, message('d5', JSON.stringify({ ts: t, seq: 0, values: { co: 1 } })));
    await handle(rig.ingest, message('d5', JSON.stringify({ ts: t + 30_000, seq: 0, values: { co: 2 } })));
    expect(rig.letters.letters.filter((l) => l.deviceId === 'd5')).toHaveLength(0);
    await until(async () => (await rig.store.count('d5')) === 2, 'both readings stored');
  });

  it('remembers the last 1024 seqs of a device, not more', async () => {
    const t = Date.now() - 3_600_000;
    const all = Array.from({ length: 1100 }, (_, i) => handle(rig.ingest, message('d6', JSON.stringify({ ts: t + i, seq: i, values: { co: 1 } }))));
    await Promise.all(all);
    // seq 1099 is remembered, seq 0 has been forgotten (1100 > 1024).
    await handle(rig.ingest, message('d6', JSON.stringify({ ts: t + 1099, seq: 1099, values: { co: 1 } })));
    await handle(rig.ingest, message('d6', JSON.stringify({ ts: t, seq: 0, values: { co: 1 } })));
    expect(rig.letters.letters.filter((l) => l.deviceId === 'd6').map((l) => l.detail)).toEqual(['seq 1099 was already received']);
  });
});
