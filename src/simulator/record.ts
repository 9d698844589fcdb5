import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { FleetDevice } from './fleet.js';

/** A file that is not a readable recording. */
export class RecordingError extends Error {
  override name = 'RecordingError';
}

/** First line of a recording: what was run, and the fleet (without secrets: replay takes a credentials file). */
export interface RecordHeader {
  kind: 'citysense-recording';
  version: 1;
  /** Epoch ms of t = 0; replay shifts payload timestamps by (its own start − this). */
  startedAt: number;
  seed: string;
  scenario: string;
  rate: number;
  qos: 0 | 1;
  devices: FleetDevice[];
}

/** A message as sent: `t` ms after the start (as scheduled), on `topic`, from `device`. */
export interface RecordedMessage {
  t: number;
  device: string;
  topic: string;
  qos: 0 | 1;
  payload: string;
  fault?: string;
}

/** A device losing (`drop`) or regaining (`reconnect`) its connection, so a replay does the same. */
export interface RecordedAction {
  t: number;
  device: string;
  action: 'drop' | 'reconnect';
}

export type RecordLine = RecordedMessage | RecordedAction;

/** Appends a run to a JSONL file: the header, then one line per message or connection change. */
export interface Recorder {
  write(line: RecordLine): void;
  close(): Promise<void>;
}

/** Opens `file` for a recording (truncating it) and writes the header. */
export function createRecorder(file: string, header: RecordHeader): Recorder {
  const out: WriteStream = createWriteStream(file, { flags: 'w' });
  let failed: Error | undefined;
  out.on('error', (e) => (failed ??= e));
  out.write(`${JSON.stringify(header)}\n`);
  return {
    write(line) {
      // No back-pressure wait: the slots must keep time; the stream buffers what the disk has not taken yet.
      out.write(`${JSON.stringify(line)}\n`);
    },
    async close() {
      out.end();
      if (!out.closed && !failed) await once(out, 'close').catch(() => undefined);
      if (failed) throw new RecordingError(`recording to ${file} failed: ${failed.message}`);
    },
  };
}

/** Reads a recording: its header, then its lines lazily (recordings can be large). */
export async function openRecording(file: string): Promise<{ header: RecordHeader; lines: AsyncGenerator<RecordLine> }> {
  const rl = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  const it = rl[Symbol.asyncIterator]();
  const first = await it.next().catch((e: Error) => {
    throw new RecordingError(`cannot read recording ${file}: ${e.message}`);
  });
  let header: RecordHeader;
  try {
    header = JSON.parse(first.done ? '' : first.value);
  } catch {
    rl.close();
    throw new RecordingError(`${file} is not a citysense recording (its first line is not JSON)`);
  }
  if (header?.kind !== 'citysense-recording' || header.version !== 1 || !Array.isArray(header.devices)) {
    rl.close();
    throw new RecordingError(`${file} is not a citysense recording (version 1 header expected)`);
  }
  async function* lines(): AsyncGenerator<RecordLine> {
    let n = 1;
    try {
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        n++;
        if (!r.value.trim()) continue;
        try {
          yield JSON.parse(r.value) as RecordLine;
        } catch {
          throw new RecordingError(`${file}:${n}: not JSON`);
        }
      }
    } finally {
      rl.close();
    }
  }
  return { header, lines: lines() };
}

/** How many messages a recording holds and when its last line is due (ms after the start): replay's total. */
export async function measureRecording(file: string): Promise<{ messages: number; lastT: number }> {
  const { lines } = await openRecording(file);
  let messages = 0;
  let lastT = 0;
  for await (const line of lines) {
    if (!('action' in line)) messages++;
    if (line.t > lastT) lastT = line.t;
  }
  return { messages, lastT };
}

/** Moves a payload's device timestamps (`ts`, SenML `bt`) by `shiftMs`; a payload that is not JSON is left as it is. */
export function shiftTimestamps(payload: string, shiftMs: number): string {
  return shiftForReplay(payload, shiftMs, -Infinity).payload;
}

/**
 * Moves a payload's device timestamps by `shiftMs`, and further forward when that would put its earliest at or
 * before `after` (epoch ms): a replay that falls behind sends a device's messages closer together than they were
 * recorded, and two of them in one millisecond would be one point in the store. Returns the payload and its
 * latest timestamp (`after` when it has none).
 */
export function shiftForReplay(payload: string, shiftMs: number, after: number): { payload: string; last: number } {
  let data: unknown;
  try {
    data = JSON.parse(payload);
  } catch {
    return { payload, last: after };
  }
  const records = (Array.isArray(data) ? data : [data]).filter((o): o is Record<string, unknown> => !!o && typeof o === 'object');
  const times = records.flatMap((r) => [typeof r.ts === 'number' ? r.ts : undefined, typeof r.bt === 'number' ? r.bt * 1000 : undefined])
    .filter((t): t is number => t !== undefined);
  if (!times.length) return { payload, last: after };
  const earliest = Math.min(...times) + shiftMs;
  const shift = earliest <= after ? shiftMs + (after - earliest) + 1 : shiftMs;
  let last = after;
  for (const r of records) {
    // Whole milliseconds, as a device sends them (the shift comes from fractional recorded send times).
    if (typeof r.ts === 'number') last = Math.max(last, (r.ts = Math.round(r.ts + shift)));
    if (typeof r.bt === 'number') {
      const ms = Math.round(r.bt * 1000 + shift);
      r.bt = ms / 1000;
      last = Math.max(last, ms);
    }
  }
  return { payload: JSON.stringify(data), last };
}
