import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect as netConnect, type Socket } from 'node:net';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { Registry } from 'prom-client';
import { createBroker, type Broker, type BrokerOptions, type PresenceEvent } from '../../src/broker/index.js';
import {
  BUILTIN_CATALOG, Catalog, createDeviceSecrets, createLogger, hashSecret, newSecret,
  type DeviceSecrets, type InboundMessage, type Logger, type RefusalReason, type RefusedMessage,
} from '../../src/core/index.js';
import type { Device, DeviceRegistry } from '../../src/storage/index.js';

/** An in-memory device registry (the SQLite one is tested in tests/storage). */
export class MemoryRegistry implements Pick<DeviceRegistry, 'get' | 'secretHash' | 'replaceSecretHash'> {
  private readonly devices = new Map<string, { device: Device; hash: string }>();

  constructor(readonly secrets: DeviceSecrets = createDeviceSecrets(randomBytes(32))) {}

  /** Registers a device (its secret stored as the keyed hash, as the API does) and returns its MQTT credentials and topics. */
  async add(id: string, domain: string, type: string): Promise<TestDevice> {
    const password = newSecret();
    return this.put(id, domain, type, password, this.secrets.hash(password));
  }

  /** Registers a device as earlier versions did: its secret stored as an scrypt hash. */
  async addLegacy(id: string, domain: string, type: string): Promise<TestDevice> {
    const password = newSecret();
    return this.put(id, domain, type, password, await hashSecret(password));
  }

  private put(id: string, domain: string, type: string, password: string, hash: string): TestDevice {
    this.devices.set(id, { device: { id, domain, type, createdAt: Date.now(), latest: {} }, hash });
    const topic = `city/${domain}/${type}/${id}`;
    return { id, domain, type, username: id, password, topic, statusTopic: `${topic}/status` };
  }

  delete(id: string): void {
    this.devices.delete(id);
  }

  /** Gives a device a new secret (the old one stops working) and returns it. */
  async rotate(id: string): Promise<string> {
    const entry = this.devices.get(id)!;
    const password = newSecret();
    entry.hash = this.secrets.hash(password);
    return password;
  }

  replaceSecretHash(id: string, expected: string, secretHash: string): boolean {
    const entry = this.devices.get(id);
    if (entry?.hash !== expected) return false;
    entry.hash = secretHash;
    return true;
  }

  get(id: string): Device | undefined {
    return this.devices.get(id)?.device;
  }

  /** Called each time the broker reads a device's stored hash (to change it while a login is being checked). */
  onSecretRead?: (id: string) => void;

  secretHash(id: string): string | undefined {
    const hash = this.devices.get(id)?.hash;
    this.onSecretRead?.(id);
    return hash;
  }
}

export interface TestDevice {
  id: string;
  domain: string;
  type: string;
  username: string;
  password: string;
  topic: string;
  statusTopic: string;
}

type HandleFn = (msg: InboundMessage, done: (err?: Error) => void) => void;

/** Records what the broker hands over; by default acknowledges each message on the next microtask. */
export class RecordingHandler {
  readonly handled: InboundMessage[] = [];
  readonly refused: { msg: RefusedMessage; reason: RefusalReason; detail: string }[] = [];
  /** Replace to hold or fail the acknowledgement. */
  onHandle: HandleFn = (_msg, done) => queueMicrotask(() => done());

  handle(msg: InboundMessage, done: (err?: Error) => void): void {
    this.handled.push(msg);
    this.onHandle(msg, done);
  }

  refuse(msg: RefusedMessage, reason: RefusalReason, detail: string): void {
    this.refused.push({ msg, reason, detail });
  }
}

export interface TestBroker {
  broker: Broker;
  registry: MemoryRegistry;
  handler: RecordingHandler;
  metrics: Registry;
  presence: PresenceEvent[];
  port: number;
  mqttsPort?: number;
  url: string;
  /** Connects an mqtt.js client (no reconnects); closed by close(). */
  connect(opts?: IClientOptions, url?: string, setup?: (c: MqttClient) => void): Promise<MqttClient>;
  /** Connects with a device's credentials. */
  connectAs(d: TestDevice, opts?: IClientOptions, setup?: (c: MqttClient) => void): Promise<MqttClient>;
  close(): Promise<void>;
}

let seq = 0;
/** A unique device id within this test run. */
export function uniqueId(prefix = 'dev'): string {
  return `${prefix}-${process.pid}-${++seq}`;
}

/**
 * Starts a real broker on an ephemeral port with an in-memory registry and a recording handler (and a silent log
 * unless given one); brokers standing for nodes of one installation share a `registry`.
 */
export async function startTestBroker(opts: Partial<BrokerOptions> = {}, log?: Logger, registry = new MemoryRegistry()): Promise<TestBroker> {
  const handler = new RecordingHandler();
  const metrics = new Registry();
  const presence: PresenceEvent[] = [];
  const broker = await createBroker({
    registry,
    secrets: registry.secrets,
    catalog: new Catalog(BUILTIN_CATALOG),
    log: log ?? createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
    metrics,
    handler,
    onPresence: (e) => presence.push(e),
    options: {
      host: '127.0.0.1', mqttPort: 0, allowAnonymous: false, maxPacketBytes: 256 * 1024, connectTimeoutMs: 5000, keepaliveLimitS: 3600, idleTimeoutMs: 0,
      ...opts,
    },
  });
  const ports = await broker.start();
  const url = `mqtt://127.0.0.1:${ports.mqttPort}`;
  const clients: MqttClient[] = [];
  const connect = async (o: IClientOptions = {}, u = url, setup?: (c: MqttClient) => void) => {
    const c = mqtt.connect(u, { reconnectPeriod: 0, connectTimeout: 5000, ...o });
    clients.push(c);
    setup?.(c); // before CONNACK: a queued message may arrive in the same read as the CONNACK
    await new Promise<void>((resolve, reject) => {
      c.once('connect', () => resolve());
      c.once('error', reject);
      c.once('close', () => reject(new Error('closed before CONNACK')));
    });
    return c;
  };
  return {
    broker, registry, handler, metrics, presence, port: ports.mqttPort, mqttsPort: ports.mqttsPort, url, connect,
    connectAs: (d, o = {}, setup) => connect({ username: d.username, password: d.password, ...o }, url, setup),
    async close() {
      await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
      await broker.stop();
    },
  };
}

/** Polls until `check` is truthy or the time is up. */
export async function eventually<T>(check: () => T | Promise<T>, what: string, timeoutMs = 5000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Resolves when the client's connection closes. */
export function closed(c: MqttClient): Promise<void> {
  return new Promise((resolve) => c.once('close', () => resolve()));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function str(s: string | Buffer): Buffer {
  const b = Buffer.from(s);
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
}

function remainingLength(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}

/** Encodes an MQTT 3.1.1 CONNECT by hand: for what mqtt.js refuses to send (empty id without clean session, …). */
export function rawConnect(o: { clientId: string; clean: boolean; keepalive: number; username?: string; password?: string }): Buffer {
  let flags = o.clean ? 0x02 : 0;
  if (o.username !== undefined) flags |= 0x80;
  if (o.password !== undefined) flags |= 0x40;
  const keepalive = Buffer.alloc(2);
  keepalive.writeUInt16BE(o.keepalive);
  const body = Buffer.concat([
    str('MQTT'), Buffer.from([4, flags]), keepalive, str(o.clientId),
    ...(o.username !== undefined ? [str(o.username)] : []),
    ...(o.password !== undefined ? [str(o.password)] : []),
  ]);
  return Buffer.concat([Buffer.from([0x10]), remainingLength(body.length), body]);
}

/** Opens a raw TCP connection to the broker. */
export async function rawSocket(port: number): Promise<Socket> {
  const s = netConnect(port, '127.0.0.1');
  await new Promise((resolve, reject) => {
    s.once('connect', resolve);
    s.once('error', reject);
  });
  return s;
}

/** Sends a raw CONNECT and returns the CONNACK return code (or 'closed' when the broker hung up first). */
export async function rawConnack(port: number, connect: Buffer): Promise<{ code: number | 'closed'; socket: Socket }> {
  const socket = await rawSocket(port);
  const code = await new Promise<number | 'closed'>((resolve) => {
    socket.once('data', (d: Buffer) => resolve(d[0] === 0x20 ? d[3] : -1));
    socket.once('close', () => resolve('closed'));
    socket.write(connect);
  });
  return { code, socket };
}

/** Reads a metric's value (summed over label sets matching `labels`). */
export async function metricValue(metrics: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = metrics.getSingleMetric(name);
  if (!m) throw new Error(`no metric ${name}`);
  const data = await m.get();
  return data.values
    .filter((v) => Object.entries(labels).every(([k, val]) => (v.labels as Record<string, unknown>)[k] === val))
    .reduce((sum, v) => sum + v.value, 0);
}

/** Runs mosquitto_pub (Debian's client, one nobody here wrote); resolves with its exit code and stderr. */
export function mosquittoPub(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile('mosquitto_pub', args, { timeout: 10_000 }, (err, _stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stderr: String(stderr) });
    });
  });
}
