/**
 * The city's load generator, its own process: up to 100,000 device connections on raw sockets (spread over
 * several loopback source addresses: one gives about 28k ephemeral ports per server port), each publishing a
 * pre-encoded QoS 1 reading every interval on average, open loop, as a fleet does. Driven over IPC (protocol.ts).
 */
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { FleetCmd, FleetConnectCmd, FleetEvent, FleetReconnectCmd, FleetStats } from '../protocol.js';
import { fleetDevice, payloadOf, type FleetDevice } from '../readings.js';
import { Reservoir } from '../reservoir.js';
import { DISCONNECT, PacketReader, encodeConnect, encodePublishQos1 } from '../wire.js';

const SLOT_MS = 10;
const LATE_MS = 100;

class Window {
  sent = 0;
  acked = 0;
  late = 0;
  dropped = 0;
  latency = new Reservoir();
  startedAt = performance.now();
  cpu = process.cpuUsage();
}

let win = new Window();
let target: FleetConnectCmd | undefined;

/** One device's connection; it is opened again (a new socket) after the app was killed. */
class Device {
  readonly topic: Buffer;
  readonly inflight = new Map<number, number>();
  sock: Socket | undefined;
  connected = false;
  closing = false;
  private nextId = 0;
  private seq = 0;

  constructor(readonly d: FleetDevice, readonly source: string) {
    this.topic = Buffer.from(d.topic);
  }

  /** Opens the connection; resolves with the CONNACK's return code, rejects on a socket error or timeout. */
  open(c: FleetConnectCmd): Promise<number> {
    return new Promise((resolve, reject) => {
      const sock = connect({ host: c.host, port: c.port, localAddress: this.source, noDelay: true });
      this.sock = sock;
      let answered = false;
      const timer = setTimeout(() => fail(new Error(`no CONNACK within ${c.timeoutMs} ms`)), c.timeoutMs);
      const fail = (err: Error) => {
        if (answered) return;
        answered = true;
        clearTimeout(timer);
        sock.destroy();
        reject(err);
      };
      const reader = new PacketReader({
        onConnack: (rc) => {
          if (answered) return;
          answered = true;
          clearTimeout(timer);
          if (rc === 0) this.connected = true;
          else sock.destroy();
          resolve(rc);
        },
        onPuback: (id) => this.acked(id),
        onOther: () => undefined,
      });
      sock.on('data', (chunk: Buffer) => reader.push(chunk));
      sock.on('error', (err) => fail(err));
      sock.once('close', () => {
        fail(new Error('connection closed before CONNACK'));
        if (this.connected && !this.closing) win.dropped++;
        this.connected = false;
        this.inflight.clear(); // a new connection starts a new session (clean): these are never acknowledged
      });
      sock.once('connect', () => sock.write(encodeConnect(`city-${this.d.id}`, c.keepaliveS, this.d.id, c.password)));
    });
  }

  private acked(id: number): void {
    const sentAt = this.inflight.get(id);
    if (sentAt === undefined) return;
    this.inflight.delete(id);
    win.acked++;
    win.latency.add(performance.now() - sentAt);
  }

  publish(t0: number): void {
    if (!this.connected || !this.sock) return;
    do this.nextId = (this.nextId % 65_535) + 1;
    while (this.inflight.has(this.nextId));
    this.inflight.set(this.nextId, performance.now());
    this.sock.write(encodePublishQos1(this.topic, this.nextId, payloadOf(this.d, this.seq++, t0)));
    win.sent++;
  }
}

let devices: Device[] = [];

function send(ev: FleetEvent): void {
  process.send!(ev);
}

/**
 * Connects each device, `concurrency` at a time; a refused or failed attempt is retried after `retryMs` (± 50%) while
 * time is left, as a device does. `refused` and `failed` count attempts, `connected` devices.
 */
async function connectEach(list: Device[], c: FleetConnectCmd, concurrency: number, retryMs: number | undefined, timeoutMs: number): Promise<void> {
  const started = performance.now();
  const deadline = started + timeoutMs;
  let next = 0;
  let connected = 0;
  let refused = 0;
  let failed = 0;
  let firstError: string | undefined;
  const worker = async () => {
    // Past the deadline no device starts another attempt: the answer says how many made it in time.
    while (next < list.length && performance.now() < deadline) {
      const dev = list[next++]!;
      for (;;) {
        let why: string;
        try {
          const rc = await dev.open(c);
          if (rc === 0) {
            connected++;
            break;
          }
          why = `CONNACK ${rc}`;
          refused++;
        } catch (err) {
          why = (err as Error).message;
          failed++;
        }
        firstError ??= `${dev.d.id}: ${why}`;
        if (retryMs === undefined) break;
        if (performance.now() + retryMs > deadline) break;
        await new Promise((r) => setTimeout(r, retryMs * (0.5 + Math.random())));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, list.length)) }, worker));
  send({ ev: 'connected', connected, refused, failed, elapsedMs: performance.now() - started, ...(firstError ? { firstError } : {}) });
}

function connectFleet(c: FleetConnectCmd): Promise<void> {
  target = c;
  devices = Array.from({ length: c.count }, (_, k) => {
    const i = c.from + k;
    return new Device(fleetDevice(c.prefix, i), c.sources[Math.min(c.sources.length - 1, Math.floor(i / c.perSource))]!);
  });
  return connectEach(devices, c, c.concurrency, 1000, 3_600_000);
}

/** Waits until every connection the kill closed is seen closed, then connects those devices again. */
async function reconnectFleet(r: FleetReconnectCmd): Promise<void> {
  const c = target!;
  const deadline = performance.now() + 10_000;
  while (devices.some((d) => d.connected) && performance.now() < deadline) await new Promise((res) => setTimeout(res, 10));
  const down = devices.filter((d) => !d.connected);
  await connectEach(down, c, r.concurrency, r.retryMs, r.timeoutMs);
}

// ---- open-loop publishing: a timing wheel of 10 ms slots ----

let wheel: Device[][] = [];
let wheelTimer: NodeJS.Timeout | undefined;

function startPublishing(intervalMs: number): void {
  const slots = Math.ceil((1.5 * intervalMs) / SLOT_MS) + 2;
  wheel = Array.from({ length: slots }, () => []);
  const start = performance.now();
  let done = Math.floor(start / SLOT_MS); // the last slot processed (absolute slot number)
  const place = (dev: Device, at: number) => wheel[Math.floor(at / SLOT_MS) % slots]!.push(dev);
  for (const dev of devices) place(dev, start + SLOT_MS + Math.random() * intervalMs);
  wheelTimer = setInterval(() => {
    const now = performance.now();
    const upTo = Math.floor(now / SLOT_MS);
    for (let s = done + 1; s <= upTo; s++) {
      const due = wheel[s % slots]!;
      wheel[s % slots] = [];
      if (due.length && now - s * SLOT_MS > LATE_MS) win.late += due.length;
      for (const dev of due) {
        dev.publish(target!.t0);
        place(dev, s * SLOT_MS + intervalMs * (0.5 + Math.random()));
      }
    }
    done = upTo;
  }, SLOT_MS / 2);
}

function stats(): FleetStats {
  const elapsedMs = performance.now() - win.startedAt;
  const cpu = process.cpuUsage(win.cpu);
  return {
    ev: 'stats',
    connected: devices.reduce((n, d) => n + (d.connected ? 1 : 0), 0),
    sent: win.sent,
    acked: win.acked,
    elapsedMs,
    pubackP50Ms: win.latency.percentile(0.5),
    pubackP99Ms: win.latency.percentile(0.99),
    pubackMaxMs: win.latency.max,
    samples: Array.from(win.latency.kept()),
    late: win.late,
    dropped: win.dropped,
    cpuShare: elapsedMs > 0 ? (cpu.user + cpu.system) / 1000 / elapsedMs : 0,
    rssMb: process.memoryUsage.rss() / 2 ** 20,
  };
}

async function close(): Promise<void> {
  if (wheelTimer) clearInterval(wheelTimer);
  for (const d of devices) {
    d.closing = true;
    if (d.sock && !d.sock.destroyed) d.sock.end(DISCONNECT);
  }
  await new Promise((r) => setTimeout(r, 500));
  for (const d of devices) d.sock?.destroy();
  send({ ev: 'closed' });
  process.disconnect?.();
}

process.on('message', (m: FleetCmd) => {
  switch (m.cmd) {
    case 'connect': void connectFleet(m); break;
    case 'reconnect': void reconnectFleet(m); break;
    case 'publish': startPublishing(m.intervalMs); break;
    case 'mark': win = new Window(); break;
    case 'stats': send(stats()); break;
    case 'stop': if (wheelTimer) clearInterval(wheelTimer); break;
    case 'close': void close(); break;
  }
});
process.on('disconnect', () => process.exit(0));
