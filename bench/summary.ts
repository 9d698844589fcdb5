/** Turns the phases' runs into the figures `npm run bench` reports: medians over --runs, ratios to the references. */
import { cpus, totalmem } from 'node:os';
import type { ProbeResult } from './alert-probe.js';
import { median, round } from './common.js';
import type { BenchOptions, StoreKind } from './options.js';
import type { RawStoreResult } from './protocol.js';
import type { BareRun, BenchResult, City, Connections, EndToEnd, LoopHealth, Memory, Peer } from './results.js';

/** Everything the phases measured, run by run. */
export interface Runs {
  bare: BareRun[];
  raw: Record<StoreKind, RawStoreResult[]>;
  e2e: Record<StoreKind, EndToEnd[]>;
  probes: Array<ProbeResult & { loop: LoopHealth }>;
  alertRate: number;
  alertStore: StoreKind;
  memory: Memory | null;
  connections: Connections | null;
  city: City | null;
  peer: Peer | null;
}

export function emptyRuns(o: BenchOptions): Runs {
  return { bare: [], raw: { influxdb: [], sqlite: [] }, e2e: { influxdb: [], sqlite: [] }, probes: [], alertRate: 0, alertStore: o.stores[0]!, memory: null, connections: null, city: null, peer: null };
}

type Latency = { p50: number; p99: number; max: number; samples: number; missed: number };

/** Medians of the runs' p50 and p99, the worst max, and the samples and misses added up. */
function latency(xs: Latency[]): Latency {
  return {
    p50: round(median(xs.map((p) => p.p50)), 2), p99: round(median(xs.map((p) => p.p99)), 2), max: round(Math.max(...xs.map((p) => p.max)), 2),
    samples: xs.reduce((n, p) => n + p.samples, 0), missed: xs.reduce((n, p) => n + p.missed, 0),
  };
}

export function summarize(o: BenchOptions, r: Runs): BenchResult {
  const readingsPerSecond: BenchResult['readingsPerSecond'] = {};
  const rawStorePerSecond: BenchResult['reference']['rawStorePerSecond'] = {};
  const ratio: BenchResult['ratio'] = {};
  const bareBrokerPerSecond = r.bare.length ? median(r.bare.map((b) => b.deliveredPerSecond)) : null;
  const e2eDetail: BenchResult['details']['endToEnd'] = {};
  const rawStoreDetail: BenchResult['details']['rawStore'] = {};
  for (const store of o.stores) {
    if (r.e2e[store].length) {
      readingsPerSecond[store] = Math.round(median(r.e2e[store].map((e) => e.readingsPerSecond)));
      e2eDetail[store] = r.e2e[store].at(-1);
    }
    if (r.raw[store].length) {
      rawStorePerSecond[store] = Math.round(median(r.raw[store].map((x) => x.counted / (x.elapsedMs / 1000))));
      rawStoreDetail[store] = r.raw[store].at(-1);
    }
    const refs = [bareBrokerPerSecond, rawStorePerSecond[store]].filter((x): x is number => typeof x === 'number');
    if (readingsPerSecond[store] !== undefined && refs.length) ratio[store] = round(readingsPerSecond[store]! / Math.min(...refs), 3);
  }
  const lgShares = [...r.bare.map((b) => b.cpuShare), ...Object.values(r.e2e).flat().map((e) => e.loadGenCpuShare)];
  const cores = cpus().length;
  const lgShare = lgShares.length ? Math.max(...lgShares) : 0;
  const hooks = r.probes.flatMap((p) => (p.webhook ? [p.webhook] : []));
  const under = { loadPerSecond: Math.round(r.alertRate), store: r.alertStore };
  return {
    readingsPerSecond,
    reference: { bareBrokerPerSecond: bareBrokerPerSecond === null ? null : Math.round(bareBrokerPerSecond), rawStorePerSecond },
    ratio,
    alertLatencyMs: r.probes.length ? { ...latency(r.probes), ...under, loop: r.probes.at(-1)!.loop } : null,
    webhookLatencyMs: hooks.length ? { ...latency(hooks), ...under } : null,
    connections: r.connections,
    devices: r.connections?.devices ?? null,
    rssMb: r.connections?.rssMb ?? null,
    memory: r.memory,
    city: r.city,
    peer: r.peer,
    machine: { cores, cpu: cpus()[0]?.model ?? 'unknown', memGb: round(totalmem() / 2 ** 30, 1), node: process.version, platform: `${process.platform}-${process.arch}` },
    loadGenerator: {
      kind: 'raw-socket MQTT 3.1.1 publisher, pre-encoded QoS 1 packets (bench/loadgen.ts), one process',
      processes: 1,
      cpuShare: round(lgShare, 2),
      cpuShareOfMachine: round(lgShare / cores, 2),
      bareRunCpuShare: r.bare.length ? round(median(r.bare.map((b) => b.cpuShare)), 2) : null,
    },
    details: { endToEnd: e2eDetail, rawStore: rawStoreDetail, bare: r.bare.at(-1) ?? null, runs: o.runs, options: (({ log: _log, ...rest }) => rest)(o) },
  };
}
