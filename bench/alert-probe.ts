import { performance } from 'node:perf_hooks';
import mqtt, { type MqttClient } from 'mqtt';
import { io } from 'socket.io-client';
import { startWebhookSink, type WebhookSink } from './webhook-sink.js';

export interface ProbeResult {
  p50: number;
  p99: number;
  max: number;
  samples: number;
  /** Breaches whose `alert:fired` did not come within the timeout. */
  missed: number;
  /** Publish → the `fired` webhook request received (with `webhook`). */
  webhook?: { p50: number; p99: number; max: number; samples: number; missed: number };
}

export interface ProbeOptions {
  httpUrl: string;
  mqttUrl: string;
  adminToken: string;
  /** Gas sensors registered for probing (safety/gas: the built-in "carbon monoxide" rule fires at co > 50, for 0). */
  devices: Array<{ id: string; password: string }>;
  durationMs: number;
  timeoutMs?: number;
  /** Also measure publish → webhook received, through a contact point and policies the probe creates. */
  webhook?: boolean;
  /**
   * Called once the probe's connections are up, before it probes (for `durationMs` from then): a load started here
   * finds the probe connected, however busy it makes the app.
   */
  ready?: () => Promise<void>;
}

/** The p-quantile of sorted values (nearest rank). */
export function quantile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

/**
 * Alert latency as an operator sees it: each probe device publishes a breaching reading (QoS 1) and the time
 * until a socket.io-client receives its `alert:fired` is one sample; then a clearing reading resolves the alert
 * and the device goes again after a short random pause. Devices probe concurrently.
 */
export async function probeAlerts(o: ProbeOptions): Promise<ProbeResult> {
  const timeoutMs = o.timeoutMs ?? 5000;
  const socket = io(o.httpUrl, { auth: { token: o.adminToken }, transports: ['websocket'], reconnection: false, forceNew: true, timeout: 60_000 });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  const waiting = new Map<string, (kind: 'fired' | 'resolved') => void>();
  socket.on('alert:fired', (a: { deviceId: string }) => waiting.get(a.deviceId)?.('fired'));
  socket.on('alert:resolved', (a: { deviceId: string }) => waiting.get(a.deviceId)?.('resolved'));

  const clients: MqttClient[] = [];
  const samples: number[] = [];
  const hookSamples: number[] = [];
  let missed = 0;
  let hookMissed = 0;
  let sink: WebhookSink | undefined;
  try {
    if (o.webhook) sink = await startWebhookSink(o.httpUrl, o.adminToken, o.devices.map((d) => d.id));
    for (const d of o.devices) {
      clients.push(await mqtt.connectAsync(o.mqttUrl, { username: d.id, password: d.password, clientId: `probe-${d.id}`, reconnectPeriod: 0, connectTimeout: 30_000 }));
    }
    await o.ready?.();
    const until = performance.now() + o.durationMs;
    const wait = (deviceId: string, kind: 'fired' | 'resolved') =>
      new Promise<boolean>((resolve) => {
        const waiter = (k: 'fired' | 'resolved') => {
          if (k !== kind) return;
          clearTimeout(timer);
          waiting.delete(deviceId);
          resolve(true);
        };
        const timer = setTimeout(() => {
          if (waiting.get(deviceId) === waiter) waiting.delete(deviceId);
          resolve(false);
        }, timeoutMs);
        waiting.set(deviceId, waiter);
      });
    const publish = (c: MqttClient, id: string, co: number) =>
      c.publish(`city/safety/gas/${id}`, JSON.stringify({ ts: Date.now(), values: { co, ch4: 1 } }), { qos: 1 });

    await Promise.all(
      o.devices.map(async (d, i) => {
        const c = clients[i]!;
        // Start from a clear state (a previous run may have left this device's alert open).
        let resolved = wait(d.id, 'resolved');
        publish(c, d.id, 5);
        await Promise.race([resolved, new Promise((r) => setTimeout(r, 300))]);
        let k = 0;
        while (performance.now() < until) {
          const fired = wait(d.id, 'fired');
          const hooked = sink?.next(d.id, timeoutMs);
          const t0 = performance.now();
          publish(c, d.id, 60 + (k++ % 40));
          if (await fired) samples.push(performance.now() - t0);
          else missed++;
          if (hooked) {
            const at = await hooked;
            if (at === undefined) hookMissed++;
            else hookSamples.push(at - t0);
          }
          resolved = wait(d.id, 'resolved');
          publish(c, d.id, 5);
          await resolved;
          await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
        }
      }),
    );
  } finally {
    await sink?.close();
    socket.disconnect();
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
  }
  samples.sort((a, b) => a - b);
  hookSamples.sort((a, b) => a - b);
  const webhook = o.webhook
    ? { p50: quantile(hookSamples, 0.5), p99: quantile(hookSamples, 0.99), max: hookSamples.at(-1) ?? 0, samples: hookSamples.length, missed: hookMissed }
    : undefined;
  return { p50: quantile(samples, 0.5), p99: quantile(samples, 0.99), max: samples.at(-1) ?? 0, samples: samples.length, missed, ...(webhook ? { webhook } : {}) };
}
