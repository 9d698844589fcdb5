/** What `npm run bench` can be asked to do (bench/run.ts turns the command line into this). */

export type StoreKind = 'influxdb' | 'sqlite';
export const PHASES = ['bare', 'raw', 'e2e', 'alerts', 'connections', 'city', 'peer'] as const;
export type Phase = (typeof PHASES)[number];
/** What a plain `npm run bench` runs: the city (minutes of a loaded machine, 100k connections) and the peer (an install of Node-RED) only when asked for. */
export const DEFAULT_PHASES: Phase[] = ['bare', 'raw', 'e2e', 'alerts', 'connections'];

export interface BenchOptions {
  stores: StoreKind[];
  phases: Phase[];
  /** An InfluxDB 1.x to use; unset: a private influxd is started (as the tests start it) and removed after. */
  influxUrl?: string;
  /** Publishing connections in the throughput runs. */
  devices: number;
  /** Unacknowledged QoS 1 publishes per connection at maximum rate. */
  window: number;
  /** Length of each maximum-rate run (bare broker, end to end). */
  durationS: number;
  rawDurationS: number;
  rawBatch: number;
  alertDurationS: number;
  alertDevices: number;
  /** Alert latency is measured under this share of the end-to-end maximum… */
  alertLoad: number;
  /** …or under this many readings per second, when set. */
  alertRate?: number;
  /** Connection ramp: up to this many devices, in steps, each publishing every `publishIntervalS`. */
  connections: number;
  connectionStep: number;
  connectionHoldS: number;
  publishIntervalS: number;
  /** The city (--phases city): this many devices held, each publishing every `cityIntervalS` on average, open loop. */
  cityDevices: number;
  cityIntervalS: number;
  /** Readings/s the whole fleet offers, when set: the interval becomes devices ÷ rate (a reduced fleet at the city's rate). */
  cityRate?: number;
  /** Seconds of publishing before the measured window, and the window's length. */
  cityWarmupS: number;
  cityDurationS: number;
  /** CONNECTs in flight at once, at the first connect and after the restart. */
  cityConcurrency: number;
  /** Devices per loopback source address (127.0.0.2, .3, …): under the ~28k ephemeral ports one address gives per server port. */
  cityPerSource: number;
  /** Devices one generator process holds at most (fewer when its open-file limit says so); more processes share the fleet. */
  cityPerProcess: number;
  /** The peer (--phases peer): seconds of each full-load run, and the rate of the outage runs. */
  peerDurationS: number;
  peerRate: number;
  /** Memory-flatness run at `soakLoad` × max rate; 0 skips it. */
  soakS: number;
  soakLoad: number;
  /** Throughput, latency and reference phases are repeated this many times; figures are medians. */
  runs: number;
  /** Directory for V8 CPU profiles of the app processes (`node --cpu-prof`). */
  cpuProfDir?: string;
  /** More Node options for the app processes (diagnostics such as --trace-gc). */
  appNodeArgs?: string[];
  /** Run another checkout's build (its dist/ and its start script's Node options) as the app under test. */
  appRoot?: string;
  keep: boolean;
  log: (line: string) => void;
}

export const DEFAULTS: Omit<BenchOptions, 'log'> = {
  stores: ['influxdb', 'sqlite'],
  phases: [...DEFAULT_PHASES],
  devices: 100,
  window: 32,
  durationS: 20,
  rawDurationS: 10,
  rawBatch: 5000,
  alertDurationS: 30,
  alertDevices: 4,
  alertLoad: 0.5,
  connections: 10_000,
  connectionStep: 2500,
  connectionHoldS: 20,
  publishIntervalS: 10,
  cityDevices: 100_000,
  cityIntervalS: 10,
  cityWarmupS: 10,
  cityDurationS: 60,
  cityConcurrency: 256,
  cityPerSource: 20_000,
  cityPerProcess: 50_000,
  peerDurationS: 10,
  peerRate: 2000,
  soakS: 0,
  soakLoad: 0.8,
  runs: 1,
  keep: false,
};

/** A reduced run (well under a minute of measuring): proves the benchmark works; its figures mean little. */
export const QUICK: Partial<BenchOptions> = {
  devices: 8, durationS: 3, rawDurationS: 1, alertDurationS: 3, alertDevices: 2,
  connections: 60, connectionStep: 30, connectionHoldS: 3, publishIntervalS: 1,
  cityDevices: 500, cityWarmupS: 2, cityDurationS: 10, cityPerSource: 200, cityPerProcess: 250,
};
