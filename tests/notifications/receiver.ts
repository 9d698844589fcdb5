import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a receiver got, with whether its Standard Webhooks signature checked out. */
export interface Received {
  id: string;
  timestamp: number;
  signatureOk: boolean | null;
  headers: IncomingHttpHeaders;
  body: any;
  at: number;
  answered: number;
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Distinct webhook-ids received. */
  ids(): string[];
  /** Sets the key to verify signatures with (the secret the API showed once). */
  setSecret(secret: string): void;
  /** Answers to give, in order, before answering 200 to everything. */
  script(answers: Answer[]): void;
  waitFor(pick: (r: Received[]) => boolean, what: string, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

/** Verifies `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` as a Standard Webhooks receiver does. */
export function verifySignature(secret: string, id: string, timestamp: string, body: string, header: string | undefined): boolean {
  if (!header) return false;
  const expected = createHmac('sha256', Buffer.from(secret.slice('whsec_'.length), 'base64')).update(`${id}.${timestamp}.${body}`).digest();
  return header.split(' ').some((sig) => {
    const [v, b64] = sig.split(',');
    const got = Buffer.from(b64 ?? '', 'base64');
    return v === 'v1' && got.length === expected.length && timingSafeEqual(got, expected);
  });
}

/** A real HTTP webhook receiver on a free port. */
export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  let answers: Answer[] = [];
  let secret: string | undefined;
  const waiters = new Set<() => void>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const id = String(req.headers['webhook-id'] ?? '');
      const ts = String(req.headers['webhook-timestamp'] ?? '');
      const answer = answers.shift() ?? { status: 200 };
      let body: unknown = raw;
      try { body = JSON.parse(raw); } catch { /* not JSON */ }
      received.push({
        id, timestamp: Number(ts), headers: req.headers, body, at: Date.now(), answered: answer.status,
        signatureOk: secret ? verifySignature(secret, id, ts, raw, req.headers['webhook-signature'] as string | undefined) : null,
      });
      res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers }).end('ok');
      for (const w of [...waiters]) w();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return {
    url,
    received,
    ids: () => [...new Set(received.map((r) => r.id))],
    setSecret: (s) => { secret = s; },
    script: (a) => { answers = [...a]; },
    waitFor(pick, what, timeoutMs = 20_000) {
      if (pick(received)) return Promise.resolve(received);
      return new Promise((resolve, reject) => {
        const check = () => { if (pick(received)) { done(); resolve(received); } };
        const timer = setTimeout(() => { done(); reject(new Error(`receiver: timed out waiting for ${what} (got ${received.length}: ${received.map((r) => `${r.body?.transition ?? '?'}/${r.answered}`).join(', ')})`)); }, timeoutMs);
        const done = () => { clearTimeout(timer); waiters.delete(check); };
        waiters.add(check);
      });
    },
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
