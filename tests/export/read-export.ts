import { request } from 'node:http';
import { createInterface } from 'node:readline';

export interface ExportRead {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Lines seen (CSV without its CRLF), only when `keep` is set, else the first and the last few. */
  lines: string[];
  count: number;
  first?: string;
  last?: string;
  /** Sum of `value` of every row. */
  sum: number;
  /** The response ended properly (false: the connection was aborted). */
  complete: boolean;
}

/**
 * GETs an export and reads it line by line without holding it (no Accept-Encoding: the bytes as written), counting
 * rows and summing their values; `onFirstBytes` is called once the first chunk has come.
 */
export function readExport(url: string, token: string, opts: { keep?: boolean; onFirstBytes?: (pause: () => void, resume: () => void) => void } = {}): Promise<ExportRead> {
  return new Promise((resolve, reject) => {
    let got: ExportRead | undefined;
    const req = request(url, { headers: { authorization: `Bearer ${token}` } }, (res) => {
      const out: ExportRead = { status: res.statusCode ?? 0, headers: res.headers, lines: [], count: 0, sum: 0, complete: false };
      got = out;
      const csv = String(res.headers['content-type']).startsWith('text/csv');
      let header = csv;
      let firstSeen = false;
      res.on('data', () => {
        if (firstSeen) return;
        firstSeen = true;
        opts.onFirstBytes?.(() => res.pause(), () => res.resume());
      });
      const rl = createInterface({ input: res, crlfDelay: Infinity });
      rl.on('line', (line) => {
        if (opts.keep) out.lines.push(line);
        if (header) { header = false; return; }
        if (out.status !== 200 || line.startsWith('{"error"')) { out.lines.push(line); return; }
        out.count++;
        out.first ??= line;
        out.last = line;
        out.sum += csv ? Number(line.split(',')[6]) : (JSON.parse(line) as { value: number }).value;
      });
      res.on('end', () => { out.complete = true; });
      // Aborted: complete stays false (readline passes its input's error on).
      res.on('error', () => {});
      rl.on('error', () => {});
      res.on('close', () => setImmediate(() => resolve(out)));
    });
    // An aborted response errors the request too: that is an outcome (complete: false), not a failure.
    req.on('error', (err) => { if (!got) reject(err); });
    req.end();
  });
}
