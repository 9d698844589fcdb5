/** Messages between the benchmark and its child processes (Node IPC). */

export interface ConnectCmd {
  cmd: 'connect';
  host: string;
  port: number;
  /** Device ids are `${prefix}-${index}`; every device's password is `password`. */
  prefix: string;
  from: number;
  count: number;
  password: string;
  keepaliveS: number;
  /** CONNECTs in flight at once. */
  concurrency: number;
  timeoutMs: number;
  /** Event times start here (epoch ms); see readings.ts. */
  t0: number;
}

/** Publish back to back, `window` unacknowledged publishes per connection, for `durationMs`. */
export interface MaxCmd {
  cmd: 'max';
  durationMs: number;
  window: number;
}

/** Publish at `rate` messages/s in total (open loop, paced every few ms), for `durationMs`. */
export interface RateCmd {
  cmd: 'rate';
  durationMs: number;
  rate: number;
  window: number;
}

/** Every connection publishes once every `intervalMs` (first one at a random offset) until `stop`. */
export interface IntervalCmd {
  cmd: 'interval';
  intervalMs: number;
  /** A PUBACK later than this counts as a timeout. */
  ackTimeoutMs: number;
}

/** Every connection drops at once (no DISCONNECT, as in a network outage) and reconnects: a reconnect storm. */
export interface ReconnectCmd {
  cmd: 'reconnect';
  host: string;
  port: number;
  password: string;
  keepaliveS: number;
  concurrency: number;
  timeoutMs: number;
}

export type LoadCmd = ConnectCmd | ReconnectCmd | MaxCmd | RateCmd | IntervalCmd | { cmd: 'status' } | { cmd: 'stop' } | { cmd: 'close' };

export interface Connected {
  ev: 'connected';
  connected: number;
  refused: number;
  failed: number;
  elapsedMs: number;
  firstError?: string;
}

/** What one run (max, rate, or interval so far) did. */
export interface RunStats {
  sent: number;
  acked: number;
  elapsedMs: number;
  /** Load generator CPU (user + system) over the run, as a share of one core. */
  cpuShare: number;
  ackP50Ms: number;
  ackP99Ms: number;
  /** Connections that closed without being asked to. */
  dropped: number;
  /** PUBACKs later than the timeout (interval mode). */
  timeouts: number;
  /** Rate mode: publishes that were due but found every window full. */
  behind: number;
}

export type LoadEvent =
  | Connected
  | ({ ev: 'ran' } & RunStats)
  | ({ ev: 'status'; connected: number } & RunStats)
  | { ev: 'progress'; acked: number; sent: number; at: number }
  | { ev: 'closed' };

/** Bare broker child → benchmark. */
export type BareEvent = { ev: 'listening'; port: number } | { ev: 'count'; delivered: number; at: number };

/** Raw store child → benchmark. */
export interface RawStoreResult {
  ev: 'raw';
  written: number;
  elapsedMs: number;
  counted: number;
  cpuShare: number;
}

// ---- the city fleet generator (bench/city/fleet-gen.ts) ----

/**
 * Connects `count` devices `${prefix}-${from}…`; device i connects from `sources[floor(i / perSource)]`, a loopback
 * address (each gives about 28k ephemeral ports per server port).
 */
export interface FleetConnectCmd {
  cmd: 'connect';
  host: string;
  port: number;
  prefix: string;
  from: number;
  count: number;
  password: string;
  sources: string[];
  perSource: number;
  keepaliveS: number;
  concurrency: number;
  timeoutMs: number;
  t0: number;
}

/**
 * Open loop: every connected device publishes one QoS 1 reading every `intervalMs` on average (its first at a
 * random offset, then after 0.5–1.5 × the interval), whatever the PUBACKs do, until `stop`.
 */
export interface FleetPublishCmd {
  cmd: 'publish';
  intervalMs: number;
}

/**
 * Every device whose connection closed (the app was killed) connects again, `concurrency` CONNECTs in flight, a
 * refused or failed attempt retried after `retryMs`; answered with `connected` once all are back or at `timeoutMs`.
 */
export interface FleetReconnectCmd {
  cmd: 'reconnect';
  concurrency: number;
  retryMs: number;
  timeoutMs: number;
}

// In the fleet's `connected` answer, `refused` and `failed` count attempts (each retried), not devices.
export type FleetCmd = FleetConnectCmd | FleetPublishCmd | FleetReconnectCmd | { cmd: 'mark' } | { cmd: 'stats' } | { cmd: 'stop' } | { cmd: 'close' };

/** What the fleet did since the last `mark`. */
export interface FleetStats {
  ev: 'stats';
  connected: number;
  sent: number;
  acked: number;
  elapsedMs: number;
  pubackP50Ms: number;
  pubackP99Ms: number;
  pubackMaxMs: number;
  /** The PUBACK latencies kept (a reservoir sample, at most 100,000), for percentiles over several generators. */
  samples: number[];
  /** Publishes sent more than 100 ms after they were due: the generator itself fell behind. */
  late: number;
  /** Connections that closed without being asked to. */
  dropped: number;
  /** The generator's CPU (user + system) as a share of one core, and its resident memory. */
  cpuShare: number;
  rssMb: number;
}

export type FleetEvent = Connected | FleetStats | { ev: 'closed' };
