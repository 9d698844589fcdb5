/**
 * The load generator, run as its own process so its CPU is not the app's: many device connections on raw
 * sockets, QoS 1 publishes written as pre-encoded packets, PUBACKs counted. Driven over IPC (protocol.ts).
 */
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { ConnectCmd, IntervalCmd, LoadCmd, LoadEvent, MaxCmd, RateCmd, ReconnectCmd, RunStats } from './protocol.js';
import { fleetDevice, payloadOf, type FleetDevice } from './readings.js';
import { DISCONNECT, PINGREQ, PacketReader, encodeConnect, encodePublishQos1 } from './wire.js';
import { Reservoir } from './reservoir.js';

type Mode = 'idle' | 'max' | 'rate' | 'interval';

class Counters {
  sent = 0;
  acked = 0;
  dropped = 0;
  timeouts = 0;
  behind = 0;
  latency = new Reservoir();
  startedAt = performance.now();
  cpu = process.cpuUsage();

  stats(): RunStats {
    const elapsedMs = performance.now() - this.startedAt;
    const cpu = process.cpuUsage(this.cpu);
    return {
      sent: this.sent,
      acked: this.acked,
      elapsedMs,
      cpuShare: elapsedMs > 0 ? (cpu.user + cpu.system) / 1000 / elapsedMs : 0,
      ackP50Ms: this.latency.percentile(0.5),
      ackP99Ms: this.latency.percentile(0.99),
      dropped: this.dropped,
      timeouts: this.timeouts,
      behind: this.behind,
    };
  }
}

let mode: Mode = 'idle';
let counters = new Counters();
let window = 1;
let t0 = Date.now();
let intervalMs = 10_000;
let ackTimeoutMs = 10_000;

/** One device's connection. */
class Conn {
  readonly topic: Buffer;
  readonly reader: PacketReader;
  /** Send time of each unacknowledged packet id. */
  readonly inflight = new Map<number, number>();
  private nextId = 0;
  private seq = 0;
  private out: Buffer[] = [];
  connected = false;
  closing = false;
  nextAt = 0;
  lastWrite = 0;
  onConnack?: (rc: number) => void;

  constructor(readonly device: FleetDevice, readonly sock: Socket) {
    this.topic = Buffer.from(device.topic);
    this.reader = new PacketReader({
      onConnack: (rc) => this.onConnack?.(rc),
      onPuback: (id) => this.acked(id),
      onOther: () => undefined,
    });
    sock.on('data', (chunk: Buffer) => {
      this.reader.push(chunk);
      this.flush();
    });
  }

  private acked(id: number): void {
    const sentAt = this.inflight.get(id);
    if (sentAt === undefined) return;
    this.inflight.delete(id);
    counters.acked++;
    counters.latency.add(performance.now() - sentAt);
    if (mode === 'max') this.queue();
  }

  /** Adds one publish to what the next flush() writes. */
  queue(): void {
    do this.nextId = (this.nextId % 65_535) + 1;
    while (this.inflight.has(this.nextId));
    this.inflight.set(this.nextId, performance.now());
    this.out.push(encodePublishQos1(this.topic, this.nextId, payloadOf(this.device, this.seq++, t0)));
    counters.sent++;
  }

  flush(): void {
    if (this.out.length === 0) return;
    const data = this.out.length === 1 ? this.out[0]! : Buffer.concat(this.out);
    this.out = [];
    this.lastWrite = performance.now();
    if (!this.sock.destroyed) this.sock.write(data);
  }
}

const conns: Conn[] = [];
let runTimer: NodeJS.Timeout | undefined;
let progressTimer: NodeJS.Timeout | undefined;
let pingTimer: NodeJS.Timeout | undefined;

function send(ev: LoadEvent): void {
  process.send!(ev);
}

type Target = Pick<ConnectCmd, 'host' | 'port' | 'password' | 'keepaliveS' | 'timeoutMs'>;

/** Opens one device connection and resolves once its CONNACK accepted it (or rejects). */
function open(c: Target, device: FleetDevice): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: c.host, port: c.port, noDelay: true });
    const conn = new Conn(device, sock);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no CONNACK within ${c.timeoutMs} ms`));
    }, c.timeoutMs);
    sock.on('error', () => undefined);
    sock.once('close', () => {
      clearTimeout(timer);
      if (!conn.connected) reject(new Error('connection closed before CONNACK'));
      else if (!conn.closing) counters.dropped++;
      conn.connected = false;
    });
    conn.onConnack = (rc) => {
      clearTimeout(timer);
      if (rc !== 0) {
        sock.destroy();
        reject(Object.assign(new Error(`CONNACK ${rc}`), { refused: true }));
        return;
      }
      conn.connected = true;
      conn.nextAt = performance.now() + Math.random() * intervalMs;
      resolve(conn);
    };
    sock.once('connect', () => sock.write(encodeConnect(`bench-${device.id}`, c.keepaliveS, device.id, c.password)));
  });
}

/** Connects `devices`, `concurrency` CONNECTs at a time, and reports how that went. */
async function connectDevices(c: Target & { concurrency: number }, devices: FleetDevice[]): Promise<void> {
  const started = performance.now();
  let next = 0;
  let connected = 0;
  let refused = 0;
  let failed = 0;
  let firstError: string | undefined;
  const worker = async () => {
    while (next < devices.length) {
      const device = devices[next++]!;
      try {
        conns.push(await open(c, device));
        connected++;
      } catch (err) {
        if ((err as { refused?: boolean }).refused) refused++;
        else failed++;
        firstError ??= `${device.id}: ${(err as Error).message}`;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, c.concurrency) }, worker));
  pingTimer ??= setInterval(ping, Math.max(1000, (c.keepaliveS * 1000) / 3));
  send({ ev: 'connected', connected, refused, failed, elapsedMs: performance.now() - started, ...(firstError ? { firstError } : {}) });
}

function connectAll(c: ConnectCmd): Promise<void> {
  t0 = c.t0;
  return connectDevices(c, Array.from({ length: c.count }, (_, i) => fleetDevice(c.prefix, c.from + i)));
}

/** Drops every connection at once, without DISCONNECT, and connects the same devices again. */
async function reconnectAll(c: ReconnectCmd): Promise<void> {
  const devices = conns.map((x) => x.device);
  for (const x of conns.splice(0)) {
    x.closing = true;
    x.sock.destroy();
  }
  await connectDevices(c, devices);
}

/** Keeps idle connections alive between runs. */
function ping(): void {
  const idleSince = performance.now() - 10_000;
  for (const c of conns) if (c.connected && c.lastWrite < idleSince) {
    c.lastWrite = performance.now();
    c.sock.write(PINGREQ);
  }
}

function live(): Conn[] {
  return conns.filter((c) => c.connected);
}

function startProgress(): void {
  progressTimer = setInterval(() => send({ ev: 'progress', acked: counters.acked, sent: counters.sent, at: Date.now() }), 1000);
}

/** Ends a timed run: no new publishes; the outstanding ones are awaited (up to 10 s) before reporting. */
function finishRun(): void {
  mode = 'idle';
  if (runTimer) clearInterval(runTimer);
  runTimer = undefined;
  const deadline = performance.now() + 10_000;
  const wait = () => {
    const outstanding = conns.reduce((n, c) => n + (c.connected ? c.inflight.size : 0), 0);
    if (outstanding > 0 && performance.now() < deadline) return void setTimeout(wait, 5);
    if (progressTimer) clearInterval(progressTimer);
    progressTimer = undefined;
    send({ ev: 'ran', ...counters.stats() });
  };
  wait();
}

function runMax(c: MaxCmd): void {
  counters = new Counters();
  window = c.window;
  mode = 'max';
  startProgress();
  for (const conn of live()) {
    for (let i = conn.inflight.size; i < window; i++) conn.queue();
    conn.flush();
  }
  runTimer = setTimeout(finishRun, c.durationMs);
}

function runRate(c: RateCmd): void {
  counters = new Counters();
  window = c.window;
  mode = 'rate';
  startProgress();
  const list = live();
  const started = performance.now();
  let rr = 0;
  runTimer = setInterval(() => {
    const now = performance.now();
    if (now - started >= c.durationMs) return finishRun();
    let due = Math.floor((c.rate * (now - started)) / 1000) - counters.sent - counters.behind;
    const touched = new Set<Conn>();
    let fullInARow = 0;
    while (due > 0 && fullInARow < list.length) {
      const conn = list[rr++ % list.length]!;
      if (!conn.connected || conn.inflight.size >= window) {
        fullInARow++;
        continue;
      }
      fullInARow = 0;
      conn.queue();
      touched.add(conn);
      due--;
    }
    counters.behind += due; // every window full: the app does not keep up with this rate
    for (const conn of touched) conn.flush();
  }, 5);
}

function runInterval(c: IntervalCmd): void {
  counters = new Counters();
  intervalMs = c.intervalMs;
  ackTimeoutMs = c.ackTimeoutMs;
  mode = 'interval';
  const now0 = performance.now();
  for (const conn of conns) conn.nextAt = now0 + Math.random() * intervalMs;
  const timedOut = new WeakMap<Conn, number>();
  runTimer = setInterval(() => {
    const now = performance.now();
    for (const conn of conns) {
      if (!conn.connected) continue;
      if (conn.nextAt <= now) {
        conn.nextAt += intervalMs;
        if (conn.nextAt < now) conn.nextAt = now + intervalMs;
        conn.queue();
        conn.flush();
      }
      // One timeout per packet: remember the newest send time already counted.
      const counted = timedOut.get(conn) ?? 0;
      for (const sentAt of conn.inflight.values()) {
        if (sentAt > counted && now - sentAt > ackTimeoutMs) {
          counters.timeouts++;
          timedOut.set(conn, sentAt);
        }
      }
    }
  }, 100);
}

function status(): void {
  send({ ev: 'status', connected: live().length, ...counters.stats() });
}

async function close(): Promise<void> {
  mode = 'idle';
  if (runTimer) clearInterval(runTimer);
  if (pingTimer) clearInterval(pingTimer);
  for (const c of conns) {
    c.closing = true;
    if (!c.sock.destroyed) c.sock.end(DISCONNECT);
  }
  await new Promise((r) => setTimeout(r, 200));
  for (const c of conns) c.sock.destroy();
  send({ ev: 'closed' });
  process.disconnect?.();
}

process.on('message', (m: LoadCmd) => {
  switch (m.cmd) {
    case 'connect': void connectAll(m); break;
    case 'reconnect': void reconnectAll(m); break;
    case 'max': runMax(m); break;
    case 'rate': runRate(m); break;
    case 'interval': runInterval(m); break;
    case 'status': status(); break;
    case 'stop':
      if (runTimer) clearInterval(runTimer);
      runTimer = undefined;
      mode = 'idle';
      status();
      break;
    case 'close': void close(); break;
  }
});
process.on('disconnect', () => process.exit(0));
