import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { FleetDevice } from './fleet.js';
import type { Credentials } from './provision.js';

/** One device's own MQTT connection. */
export interface DeviceLink {
  readonly device: FleetDevice;
  /** Publishes; `done` gets an error when the message was not acknowledged (QoS 1) or not written (QoS 0). */
  publish(topic: string, payload: string, qos: 0 | 1, done: (err?: Error) => void): void;
  /**
   * Messages whose `done` has not been called yet, and how many of them saw the connection lost (not by
   * drop() or close()) while they waited: the broker closing it is how it refuses a QoS 1 publish.
   */
  waiting(): { count: number; lost: number };
  /** Loses the connection abruptly (no DISCONNECT), so the broker publishes the device's offline will. */
  drop(): void;
  /** True after drop() until reconnect(). */
  readonly dropped: boolean;
  /** Connects again after a drop; messages published meanwhile wait in the client's queue. */
  reconnect(): void;
  /** Says `offline` on the status topic and disconnects. */
  close(): Promise<void>;
}

/** Thrown when a device cannot connect (refused credentials, no broker). */
export class ConnectError extends Error {
  override name = 'ConnectError';
}

/** The transports mqtt.js is given a URL for (MQTT.js picks TCP, TLS or WebSocket by the scheme). */
export const BROKER_SCHEMES = ['mqtt:', 'mqtts:', 'ws:', 'wss:'] as const;

/**
 * Checks a broker URL before anything connects: without one of BROKER_SCHEMES, mqtt.js reads `localhost:1883` or
 * `http://…` as something else and fails later with a protocol error ("Invalid header flag bits …"). Throws a
 * RangeError (a usage error) that says what is needed.
 */
export function checkBrokerUrl(url: string): string {
  let scheme: string | undefined;
  try {
    scheme = new URL(url).protocol;
  } catch {
    scheme = undefined;
  }
  if (!scheme || !(BROKER_SCHEMES as readonly string[]).includes(scheme)) {
    const hint = /^[\w.-]+:\d+$/.test(url) ? ` (e.g. mqtt://${url})` : url.includes('://') ? ` (e.g. mqtt://${url.split('://')[1]})` : '';
    throw new RangeError(`--mqtt ${url}: the broker URL needs mqtt://, mqtts://, ws:// or wss://${hint}`);
  }
  return url;
}

const statusTopic = (d: FleetDevice) => `city/${d.domain}/${d.type}/${d.id}/status`;

function options(d: FleetDevice, creds: Credentials | undefined, reconnectPeriod: number): IClientOptions {
  return {
    clientId: d.id,
    ...(creds ? { username: creds.username, password: creds.password } : {}),
    protocolVersion: 4,
    keepalive: 30,
    connectTimeout: 10_000,
    reconnectPeriod,
    clean: true,
    will: { topic: statusTopic(d), payload: Buffer.from('offline'), qos: 1, retain: true },
  };
}

/** Connects one device (failing fast on refused credentials), then keeps it connected. */
export async function connectDevice(url: string, d: FleetDevice, creds: Credentials | undefined): Promise<DeviceLink> {
  const open = async () => {
    let client: MqttClient;
    try {
      client = await mqtt.connectAsync(url, options(d, creds, 0), false);
    } catch (e) {
      throw new ConnectError(`device ${d.id} cannot connect to ${url}: ${(e as Error).message}`);
    }
    client.options.reconnectPeriod = 2000; // connected once: from now on, ride out broker restarts
    client.on('error', () => undefined); // reconnects report errors as events; the publish callbacks count them
    client.on('connect', () => client.publish(statusTopic(d), 'online', { qos: 1, retain: true }));
    client.publish(statusTopic(d), 'online', { qos: 1, retain: true });
    return client;
  };
  let client = await open();
  let dropped = false;
  let closing = false;
  // Per message in flight: true once the connection was lost while it waited. mqtt.js keeps a QoS 1 message
  // across a reconnect and resends it, so its callback alone never tells a refusal from a slow PUBACK.
  const inFlight = new Map<object, boolean>();
  const watch = (c: MqttClient) => c.on('close', () => {
    // A close we asked for (drop, close) or of a client already replaced is no refusal.
    if (c !== client || dropped || closing) return;
    for (const m of inFlight.keys()) inFlight.set(m, true);
  });
  watch(client);

  return {
    device: d,
    publish(topic, payload, qos, done) {
      const m = {};
      inFlight.set(m, false);
      client.publish(topic, payload, { qos }, (err) => {
        inFlight.delete(m);
        done(err ?? undefined);
      });
    },
    waiting() {
      let lost = 0;
      for (const l of inFlight.values()) if (l) lost++;
      return { count: inFlight.size, lost };
    },
    drop() {
      if (dropped) return;
      dropped = true;
      client.end(true);
    },
    get dropped() {
      return dropped;
    },
    reconnect() {
      if (!dropped) return;
      dropped = false;
      // A new client (its queue holds what is published before it connects); errors surface per publish.
      client = mqtt.connect(url, options(d, creds, 2000));
      watch(client);
      client.on('error', () => undefined);
      client.on('connect', () => client.publish(statusTopic(d), 'online', { qos: 1, retain: true }));
    },
    async close() {
      if (dropped) return;
      closing = true;
      const c = client;
      if (c.connected) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 2000);
          c.publish(statusTopic(d), 'offline', { qos: 1, retain: true }, () => { clearTimeout(t); resolve(); });
        });
      }
      await c.endAsync(!c.connected).catch(() => undefined);
    },
  };
}

/**
 * The fleet's messages still in flight at the end of a run: `refused`, those whose connection was lost while
 * they waited for their PUBACK (how citysense refuses a QoS 1 publish); `unacknowledged`, the others.
 */
export function unsettled(links: readonly DeviceLink[]): { refused: number; unacknowledged: number } {
  let refused = 0;
  let unacknowledged = 0;
  for (const l of links) {
    const w = l.waiting();
    refused += w.lost;
    unacknowledged += w.count - w.lost;
  }
  return { refused, unacknowledged };
}

/** Connects every device, `concurrency` at a time; if one fails, closes the others and throws its error. */
export async function connectFleet(
  url: string, fleet: readonly FleetDevice[], credentials: ReadonlyMap<string, Credentials> | undefined, concurrency = 50,
): Promise<DeviceLink[]> {
  const links: DeviceLink[] = new Array(fleet.length);
  let next = 0;
  let failed: Error | undefined;
  const worker = async () => {
    while (next < fleet.length && !failed) {
      const i = next++;
      const d = fleet[i]!;
      const creds = credentials?.get(d.id);
      if (credentials && !creds) {
        failed = new ConnectError(`no credentials for device ${d.id}`);
        return;
      }
      try {
        links[i] = await connectDevice(url, d, creds);
      } catch (e) {
        failed ??= e as Error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, fleet.length) }, worker));
  if (failed) {
    await Promise.all(links.filter(Boolean).map((l) => l.close()));
    throw failed;
  }
  return links;
}
