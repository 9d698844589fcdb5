import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILTIN_CATALOG, Catalog } from '../../src/core/index.js';
import {
  createPrng, createRecorder, openRecording, planFleet, readCredentialsFile, shiftForReplay, shiftTimestamps, writeCredentialsFile,
  type RecordHeader, type RecordLine,
} from '../../src/simulator/index.js';

const dir = mkdtempSync(join(tmpdir(), 'citysense-record-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fleet = planFleet(new Catalog(BUILTIN_CATALOG), { devices: 3 }, createPrng('r'));

describe('recordings', () => {
  it('writes a header and one JSON line per message, and reads them back', async () => {
    const file = join(dir, 'run.jsonl');
    const header: RecordHeader = { kind: 'citysense-recording', version: 1, startedAt: 1000, seed: '5', scenario: 'normal', rate: 10, qos: 1, devices: fleet };
    const rec = createRecorder(file, header);
    const lines: RecordLine[] = [
      { t: 0, device: fleet[0]!.id, topic: 'city/a/b/c', qos: 1, payload: '{"ts":1000,"seq":0,"values":{"x":1}}' },
      { t: 100, device: fleet[1]!.id, action: 'drop' },
      { t: 200, device: fleet[2]!.id, topic: 'city/a/b/d', qos: 0, payload: '{"ts":12', fault: 'malformed' },
    ];
    for (const l of lines) rec.write(l);
    await rec.close();
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(4);
    const back = await openRecording(file);
    expect(back.header).toEqual(header);
    const got: RecordLine[] = [];
    for await (const l of back.lines) got.push(l);
    expect(got).toEqual(lines);
  });

  it('refuses a file that is not a recording', async () => {
    const file = join(dir, 'creds.json');
    writeCredentialsFile(file, fleet, new Map(fleet.map((d) => [d.id, { username: d.id, password: 'p' }])));
    await expect(openRecording(file)).rejects.toThrow(/not a citysense recording/);
  });

  it('shifts ts and SenML bt, and leaves a malformed payload alone', () => {
    expect(shiftTimestamps('{"ts":1000,"seq":3,"values":{"co":2.5}}', 500)).toBe('{"ts":1500,"seq":3,"values":{"co":2.5}}');
    expect(JSON.parse(shiftTimestamps('[{"bn":"d/","bt":10,"n":"speed","u":"mph","v":3}]', 2000))[0].bt).toBe(12);
    expect(shiftTimestamps('{"ts":10', 5)).toBe('{"ts":10');
    // A shift taken from fractional send times still gives whole milliseconds.
    expect(shiftTimestamps('{"ts":1000,"values":{"co":1}}', 0.6667)).toBe('{"ts":1001,"values":{"co":1}}');
    expect(JSON.parse(shiftTimestamps('[{"bt":10.5,"n":"co","v":1}]', 1000.4))[0].bt).toBe(11.5);
  });
});

describe('credentials file', () => {
  it('round-trips the fleet and its secrets, readable by its owner only', () => {
    const file = join(dir, 'fleet.json');
    const creds = new Map(fleet.map((d, i) => [d.id, { username: d.id, password: `secret-${i}` }]));
    writeCredentialsFile(file, fleet, creds);
    expect(statSync(file).mode & 0o077).toBe(0);
    const back = readCredentialsFile(file);
    expect(back.fleet).toEqual(fleet);
    expect(back.credentials).toEqual(creds);
  });

  it("keeps a device's replayed timestamps going forward when the replay falls behind (no two in one millisecond)", () => {
    // Recorded 2.5 s apart, each sent 40 ms late; replayed late, both in the same millisecond (shifts 2500 ms apart).
    const first = shiftForReplay('{"ts":10040,"seq":1,"values":{"co":1}}', 5000, -Infinity);
    expect(first).toEqual({ payload: '{"ts":15040,"seq":1,"values":{"co":1}}', last: 15040 });
    const second = shiftForReplay('{"ts":12540,"seq":2,"values":{"co":2}}', 2500, first.last);
    expect(second).toEqual({ payload: '{"ts":15041,"seq":2,"values":{"co":2}}', last: 15041 });
    // A batch moves as a whole, keeping its spacing; SenML bt (seconds) too.
    expect(JSON.parse(shiftForReplay('[{"ts":100,"values":{}},{"ts":105,"values":{}}]', 0, 200).payload).map((r: { ts: number }) => r.ts)).toEqual([201, 206]);
    expect(shiftForReplay('[{"bt":1,"n":"co","v":1}]', 0, 1000)).toEqual({ payload: '[{"bt":1.001,"n":"co","v":1}]', last: 1001 });
    // Not JSON, or no timestamp: as it is.
    expect(shiftForReplay('{"co":1}', 10, 50)).toEqual({ payload: '{"co":1}', last: 50 });
  });
});
