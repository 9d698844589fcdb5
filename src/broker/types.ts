import type { Server as HttpServer } from 'node:http';
import type { Registry } from 'prom-client';
import type { AuthFailureListener, Catalog, DeviceSecrets, InboundMessage, Logger, RefusalReason, RefusedMessage } from '../core/index.js';
import type { DeviceRegistry } from '../storage/index.js';
import type { SessionLimits } from './session-bounds.js';

/** Where the broker hands publishes: ingest, passed in by the composition root. */
export interface PublishHandler {
  /**
   * A telemetry publish that passed the ACL; the PUBACK/PUBREC waits for `done()`, `done(err)` closes the connection
   * unacknowledged, and `done(undefined, true)` acknowledges a refused (dead-lettered) one that then reaches no one.
   */
  handle(msg: InboundMessage, done: (err?: Error, refused?: boolean) => void): void;
  /** A publish the ACL refused; it has been dropped (acknowledged, delivered nowhere). */
  refuse(msg: RefusedMessage, reason: RefusalReason, detail: string): void;
}

export interface PresenceEvent {
  deviceId: string;
  status: 'online' | 'offline';
  at: number;
  /** offline only: the device's last connection ended with MQTT DISCONNECT (a clean goodbye; its will was not published). */
  clean?: boolean;
}

/** A device's own `online` / `offline` on its status topic; a will the broker publishes for a lost connection is not one. */
export interface StatusEvent {
  deviceId: string;
  status: 'online' | 'offline';
  at: number;
}

export interface BrokerOptions {
  host: string;
  /** 0 picks a free port. */
  mqttPort: number;
  /** `cert` and `key` are file paths (or PEM text). */
  mqtts?: { port: number; cert: string; key: string };
  allowAnonymous: boolean;
  /** Largest MQTT packet (fixed header included) a client may send; a bigger announcement closes the connection. */
  maxPacketBytes: number;
  connectTimeoutMs: number;
  /** Largest keep-alive a CONNECT may ask for; more is refused with CONNACK 2. */
  keepaliveLimitS: number;
  /** A connection with keep-alive 0 that sends nothing this long is closed; 0: never. */
  idleTimeoutMs: number;
  /** REDIS_URL: nodes share sessions, subscriptions, retained messages and takeover through Redis (cluster.ts); unset: in memory. */
  redisUrl?: string;
  /** Per client id bounds on queued and unreleased messages (session-bounds.ts); the defaults suit production. */
  sessionLimits?: Partial<SessionLimits>;
}

export interface BrokerDeps {
  registry: Pick<DeviceRegistry, 'get' | 'secretHash' | 'replaceSecretHash'>;
  /** Hashing of device secrets under the installation key (scrypt hashes of earlier versions are upgraded at login). */
  secrets: DeviceSecrets;
  catalog: Catalog;
  log: Logger;
  metrics: Registry;
  handler: PublishHandler;
  onPresence?: (e: PresenceEvent) => void;
  onStatus?: (e: StatusEvent) => void;
  /** Called for each login refused for its credentials (or while its address is locked out). */
  onAuthFailure?: AuthFailureListener;
  options: BrokerOptions;
}

/** The embedded MQTT broker: TCP, TLS and WebSocket listeners, device auth, topic ACL, limits, presence. */
export interface Broker {
  /** Binds the TCP (and TLS) listeners; returns the bound ports. */
  start(): Promise<{ mqttPort: number; mqttsPort?: number }>;
  /** Serves MQTT over WebSocket at path /mqtt of the app's HTTP server; other upgrade paths are left alone. */
  attachWebSocket(server: HttpServer): void;
  /** Closes every connection of a device (deleted, or its secret rotated); returns how many. */
  disconnect(deviceId: string): number;
  /** Devices with at least one live connection. */
  connectedDevices(): number;
  isOnline(deviceId: string): boolean;
  ready(): boolean;
  /** Stops taking new connections (the first pass of a graceful stop); live ones stay until stop(). */
  drain(): Promise<void>;
  /** Closes clients, aedes and listeners. */
  stop(): Promise<void>;
}
