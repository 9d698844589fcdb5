import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

/**
 * A webhook receiver for the alert probe: it registers itself as a contact point with one notification policy
 * per probe device, and tells the probe when a device's `fired` webhook request arrives (publish → webhook
 * received is the latency of a notification reaching the fire brigade's dispatch system).
 */
export interface WebhookSink {
  /** Resolves with the arrival time (performance.now()) of the device's next `fired` webhook, or undefined after `timeoutMs`. */
  next(deviceId: string, timeoutMs: number): Promise<number | undefined>;
  close(): Promise<void>;
}

export async function startWebhookSink(httpUrl: string, adminToken: string, deviceIds: readonly string[]): Promise<WebhookSink> {
  const waiting = new Map<string, (at: number) => void>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      res.writeHead(204).end();
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { transition?: string; alert?: { deviceId?: string } };
        if (body.transition === 'fired' && body.alert?.deviceId) waiting.get(body.alert.deviceId)?.(at);
      } catch { /* not ours */ }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  const post = async (path: string, body: unknown) => {
    const res = await fetch(httpUrl + path, { method: 'POST', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const json = (await res.json()) as { id: string };
    if (res.status !== 201) throw new Error(`bench: ${path} answered ${res.status}: ${JSON.stringify(json)}`);
    return json;
  };
  const cp = await post('/api/contact-points', { name: 'bench dispatch', kind: 'webhook', url });
  for (const deviceId of deviceIds) await post('/api/notification-policies', { name: `bench ${deviceId}`, match: { deviceId }, contactPoints: [cp.id], on: ['fired'] });
  return {
    next(deviceId, timeoutMs) {
      return new Promise((resolve) => {
        const timer = setTimeout(() => { waiting.delete(deviceId); resolve(undefined); }, timeoutMs);
        waiting.set(deviceId, (at) => { clearTimeout(timer); waiting.delete(deviceId); resolve(at); });
      });
    },
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
