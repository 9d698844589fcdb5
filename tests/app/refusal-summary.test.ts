// The refusal summary on its own clock: one info line per period however many refusals, none for a quiet period.
import { Writable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { refusalSummary } from '../../src/app/observe/refusals.js';
import type { DeadLetter } from '../../src/core/index.js';
import { createSqliteStores } from '../../src/storage/index.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('refusal summary', () => {
  it('logs once per period with counts per reason and the devices refused most, and nothing for a quiet period', async () => {
    const lines: any[] = [];
    const log = pino({ level: 'info' }, new Writable({ write(chunk, _enc, cb) { lines.push(JSON.parse(String(chunk))); cb(); } }));
    const dir = mkdtempSync(join(tmpdir(), 'citysense-summary-'));
    const meta = createSqliteStores(dir, { deadLetterMaxRows: 1000 });
    const counts: Record<string, number> = { malformed_json: 0, too_fast: 0 };
    const summary = refusalSummary(() => ({ ...counts }), log, 300);
    const letters = summary.wrap(meta.deadLetters);
    const letter = (deviceId: string): DeadLetter => ({ receivedAt: Date.now(), deviceId, topic: 't', reason: 'malformed_json', detail: 'd', payload: 'x' });
    try {
      summary.start();
      for (let i = 0; i < 200; i++) {
        letters.add([letter(i % 4 === 0 ? 'quiet-one' : 'noisy-one')]);
        counts.malformed_json!++;
      }
      counts.too_fast! += 7; // refused without a dead letter
      await sleep(450); // one period
      expect(lines.filter((l) => l.msg === 'messages refused (summary)')).toEqual([
        expect.objectContaining({
          total: 207, refused: { malformed_json: 200, too_fast: 7 }, devices: 2,
          topDevices: [
            { deviceId: 'noisy-one', refused: 150, reasons: { malformed_json: 150 } },
            { deviceId: 'quiet-one', refused: 50, reasons: { malformed_json: 50 } },
          ],
        }),
      ]);
      expect(meta.deadLetters.list({ limit: 1000 })).toHaveLength(200); // the store behind it got every letter
      await sleep(650); // two quiet periods: no line
      expect(lines.filter((l) => l.msg === 'messages refused (summary)')).toHaveLength(1);
      letters.add([letter('late-one')]);
      counts.malformed_json!++;
      summary.stop(); // the partial period is logged at stop
      expect(lines.filter((l) => l.msg === 'messages refused (summary)').at(-1)).toMatchObject({ total: 1, topDevices: [{ deviceId: 'late-one', refused: 1 }] });
    } finally {
      summary.stop();
      await meta.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
