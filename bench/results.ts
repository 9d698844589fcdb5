/** The figures `npm run bench` reports: the JSON object its last line prints (BENCHMARKS.md says what each means). */
import type { ProbeResult } from './alert-probe.js';
import type { StoreKind, BenchOptions } from './options.js';
import type { RawStoreResult, RunStats } from './protocol.js';

export interface EndToEnd {
  readingsPerSecond: number;
  /** Publishes acknowledged per second while publishing (the spool may run ahead of the store). */
  ackedPerSecond: number;
  readings: number;
  /** Readings the store holds afterwards (counted by the store itself). */
  counted: number;
  refused: number;
  ackP50Ms: number;
  ackP99Ms: number;
  appCpuShare: number;
  influxdCpuShare?: number;
  loadGenCpuShare: number;
  /** App CPU time (all its threads) per stored reading, in µs: steadier than rates on a shared machine. */
  appCpuUsPerReading: number;
  /** CPU (share of one core) used during the run by processes other than the app, influxd and the load generator. */
  otherCpuShare: number;
  /** Seconds from the last acknowledgement until the store held everything. */
  drainS: number;
  /** Mean readings per spool transaction (group commit) and mean time for the store to confirm a batch. */
  readingsPerCommit: number;
  storeWriteMs: number;
  storeWrites: number;
  /** The app's garbage collection during the run: ms of pauses per second of the run, and pauses per second. */
  gcMsPerSecond: number;
  gcPausesPerSecond: number;
  appRssMb: number;
}

export interface Memory {
  durationS: number;
  ratePerSecond: number;
  baselineRssMb: number;
  finalRssMb: number;
  maxRssMb: number;
  growth: number;
  flat: boolean;
  behind: number;
  spoolBacklogAtEnd: number;
  samples: Array<{ s: number; rssMb: number; backlog: number }>;
}

export interface Connections {
  devices: number;
  rssMb: number;
  target: number;
  loginsPerSecond: number;
  publishesAcked: number;
  failure?: string;
  steps: Array<{ devices: number; rssMb: number }>;
  /** Every device dropped at once (no DISCONNECT) and reconnected: how long until all were back. */
  reconnect?: { devices: number; seconds: number; refusedOrFailed: number };
}

/** The city (--phases city; CONTRACT.md section 12). */
export interface City {
  /** Devices connected (each authenticated: its secret checked against its keyed SHA-256), of `target`. */
  devices: number;
  target: number;
  /** Set when fewer than --city-devices ran because a process's open-file limit (nofile) could not be raised: what held it. */
  limitedBy?: string;
  store: StoreKind;
  /** Seconds to connect them all (`cityConcurrency` CONNECTs in flight), and the first refusal or failure if any. */
  connectS: number;
  /** Attempts refused (CONNACK ≠ 0) or failed (closed, timed out) while connecting; each device retried after 1 s ± 50%. */
  connectRetries: number;
  firstError?: string;
  /** CPU while connecting, as shares of one core: the app, the generators, the private influxd, every other process (what bounds the login rate). */
  connectCpu: City['cpu'];
  /** The app's largest RSS during the measured window, all devices connected; and right after they connected. */
  rssMb: number;
  rssConnectedMb: number;
  intervalS: number;
  durationS: number;
  /** What the fleet offered (devices ÷ interval), what the app acknowledged and what the store took, per second, over the window. */
  offeredPerSecond: number;
  ackedPerSecond: number;
  /** Null when the app did not answer `/api/stats` within a minute. */
  readingsPerSecond: number | null;
  pubackMs: { p50: number; p99: number; max: number; samples: number };
  /** Publish of a breaching reading (a few probe devices among the fleet) → `alert:fired` over Socket.IO. */
  alertLatencyMs: { p50: number; p99: number; max: number; samples: number; missed: number; error?: string };
  /** After `kill -9`: seconds from the kill until the restarted app listened (`appUpS`) and until every device was back. */
  reconnect: { devices: number; seconds: number; appUpS: number; cpu: City['connectCpu']; firstError?: string };
  /** The app over the window (its CPU, event loop, GC, commits) and the open-file limit it ran with. */
  app: { loop: LoopHealth; nofile: number | null };
  /** The generators (processes, source addresses) over the window: CPU as a share of one core (all processes added), RSS added up. */
  loadGenerator: { processes: number; sources: string[]; cpuShare: number; rssMb: number; late: number; dropped: number };
  /** CPU over the window, as shares of one core: the app, the generators, the private influxd (when the bench started one), every other process. */
  cpu: { app: number; generators: number; influxd?: number; other: number };
  targets: { devices: number; readingsPerSecond: number; rssMb: number; pubackP99Ms: number; alertP99Ms: number; reconnectS: number };
  met: { devices: boolean; rss: boolean; puback: boolean; alert: boolean; reconnect: boolean };
}

/** One run of a pipeline: readings acknowledged to the devices, stored (counted in InfluxDB), and the difference. */
export interface PeerTrial {
  acked: number;
  stored: number;
  /** Acknowledged but not in the store once its count stopped growing (5 s without growth, or 3 min). */
  lost: number;
  /** Stored ÷ seconds from the start of the load until the store's count last grew. */
  storedPerSecond: number;
}

/** Full load (the load generator at its maximum for `durationS`) and the outage run (a fixed rate, InfluxDB down 15 s). */
export interface PeerSide {
  fullLoad: PeerTrial;
  outage: PeerTrial;
}

/** The peer (--phases peer; CONTRACT.md section 12): Mosquitto → Node-RED → the same InfluxDB, beside citysense. */
export interface Peer {
  versions: { nodeRed: string; contrib: string; node: string };
  devices: number;
  window: number;
  durationS: number;
  outage: { seconds: number; ratePerSecond: number; runS: number };
  citysense: PeerSide;
  defaults: PeerSide;
  tuned: PeerSide;
  /** citysense's stored/s under full load ÷ the tuned peer's. */
  ratioToTuned: number;
  targets: { ratioToTuned: number };
  /** `noLoss`: citysense lost no acknowledged reading in any trial; `peerLost`: the peer lost some in at least one. */
  met: { ratio: boolean; noLoss: boolean; peerLost: boolean };
}

export interface BenchResult {
  readingsPerSecond: Partial<Record<StoreKind, number>>;
  reference: { bareBrokerPerSecond: number | null; rawStorePerSecond: Partial<Record<StoreKind, number>> };
  ratio: Partial<Record<StoreKind, number>>;
  alertLatencyMs: (Pick<ProbeResult, 'p50' | 'p99' | 'max' | 'samples' | 'missed'> & { loadPerSecond: number; store: StoreKind; loop: LoopHealth }) | null;
  /** Publish of a breaching reading → its `fired` webhook request received by a receiver, in the same run as alertLatencyMs. */
  webhookLatencyMs: (NonNullable<ProbeResult['webhook']> & { loadPerSecond: number; store: StoreKind }) | null;
  connections: Connections | null;
  /** As CONTRACT.md section 7 names them: connections.devices and connections.rssMb. */
  devices: number | null;
  rssMb: number | null;
  memory: Memory | null;
  city: City | null;
  peer: Peer | null;
  machine: { cores: number; cpu: string; memGb: number; node: string; platform: string };
  loadGenerator: { kind: string; processes: number; cpuShare: number; cpuShareOfMachine: number; bareRunCpuShare: number | null };
  details: { endToEnd: Partial<Record<StoreKind, EndToEnd>>; rawStore: Partial<Record<StoreKind, RawStoreResult>>; bare: BareRun | null; runs: number; options: Omit<BenchOptions, 'log'> };
}

/** The app's event-loop delay and GC pauses over a phase, from its own Prometheus metrics (prom-client defaults). */
export interface LoopHealth {
  /** The app process's CPU meanwhile (all its threads), as a share of one core. */
  appCpuShare: number;
  /** The private influxd's, when the store is InfluxDB. */
  influxdCpuShare?: number;
  eventLoopP99Ms: number;
  eventLoopMaxMs: number;
  gcPauses: number;
  gcMsPerSecond: number;
  /** Pauses of at least 10 ms (from the histogram's buckets: major GCs, mostly). */
  gcPausesOver10ms: number;
  /** Spool group commits per second, and readings per commit: how finely the load is cut into loop turns. */
  commitsPerSecond: number;
  readingsPerCommit: number;
}

/** The bare-broker reference run: the load generator's figures plus what the broker delivered and spent. */
export type BareRun = RunStats & { deliveredPerSecond: number; brokerCpuShare: number; brokerCpuUsPerMessage: number };
