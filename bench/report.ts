import type { BenchResult, StoreKind } from './bench.js';

const NAMES: Record<StoreKind, string> = { influxdb: 'InfluxDB', sqlite: 'SQLite' };
const n = (x: number | null | undefined, digits = 0) =>
  x === null || x === undefined || Number.isNaN(x) ? '—' : x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const pct = (x: number | undefined) => (x === undefined ? '—' : `${Math.round(x * 100)}%`);

/** The human-readable table printed before the JSON line. */
export function table(r: BenchResult): string {
  const rows: Array<[string, string, string]> = [];
  const b = r.details.bare;
  rows.push(['bare aedes, QoS 1 → in-process counter', b ? `${n(r.reference.bareBrokerPerSecond)} /s` : 'not run', b ? `load generator ${pct(b.cpuShare)} of a core` : '']);
  for (const [store, raw] of Object.entries(r.details.rawStore) as Array<[StoreKind, NonNullable<BenchResult['details']['rawStore'][StoreKind]>]>) {
    rows.push([`raw ${NAMES[store]} writes (batches, no broker)`, `${n(r.reference.rawStorePerSecond[store])} /s`, `${n(raw.counted)} readings counted in the store`]);
  }
  for (const [store, e] of Object.entries(r.details.endToEnd) as Array<[StoreKind, NonNullable<BenchResult['details']['endToEnd'][StoreKind]>]>) {
    rows.push([
      `end to end ${NAMES[store]} (QoS 1 → stored)`,
      `${n(r.readingsPerSecond[store])} /s`,
      `ratio ${n(r.ratio[store], 2)}; ${n(e.appCpuUsPerReading, 1)} µs app CPU/reading; acked ${n(e.ackedPerSecond)}/s, PUBACK p99 ${n(e.ackP99Ms, 1)} ms; app CPU ${pct(e.appCpuShare)}` +
        (e.influxdCpuShare !== undefined ? `, influxd ${pct(e.influxdCpuShare)}` : '') + `, load gen ${pct(e.loadGenCpuShare)}`,
    ]);
  }
  const a = r.alertLatencyMs;
  rows.push(['alert latency p50 / p99 (publish → alert:fired)', a ? `${n(a.p50, 1)} / ${n(a.p99, 1)} ms` : 'not run', a ? `${a.samples} alerts under ${n(a.loadPerSecond)} readings/s (${NAMES[a.store]})${a.missed ? `, ${a.missed} missed` : ''}` : '']);
  const h = r.webhookLatencyMs;
  rows.push(['webhook latency p50 / p99 (publish → webhook received)', h ? `${n(h.p50, 1)} / ${n(h.p99, 1)} ms` : 'not run', h ? `${h.samples} notifications under ${n(h.loadPerSecond)} readings/s (${NAMES[h.store]})${h.missed ? `, ${h.missed} missed` : ''}` : '']);
  const c = r.connections;
  rows.push([
    'device connections held (1 publish / 10 s each)',
    c ? n(c.devices) : 'not run',
    c ? `RSS ${n(c.rssMb)} MB; target ${n(c.target)}; ${n(c.loginsPerSecond, 1)} first logins/s` +
      (c.reconnect ? `; all dropped and back in ${n(c.reconnect.seconds, 1)} s` : '') + (c.failure ? `; stopped: ${c.failure}` : '') : '',
  ]);
  const m = r.memory;
  rows.push([
    'memory over a long run at 80% of max',
    m ? `${m.growth >= 0 ? '+' : ''}${n(m.growth * 100, 1)}%` : 'not run',
    m ? `RSS ${n(m.baselineRssMb)} → ${n(m.finalRssMb)} MB over ${m.durationS} s at ${n(m.ratePerSecond)}/s; ${m.flat ? 'flat' : 'GROWS'}` : 'pass --soak to run it (5 min)',
  ]);
  const y = r.city;
  const ok = (met: boolean) => (met ? 'target met' : 'TARGET MISSED');
  if (y) {
    rows.push(['city: devices connected (1 QoS 1 reading / ' + `${n(y.intervalS, 1)} s each)`, `${n(y.devices)} of ${n(y.target)}`, `${y.limitedBy ? `LIMITED by the ${y.limitedBy}; ` : ''}${y.devices >= y.targets.devices ? '' : `not the city's ${n(y.targets.devices)}; `}in ${n(y.connectS, 1)} s (CPU: app ${pct(y.connectCpu.app)}, generators ${pct(y.connectCpu.generators)}, others ${pct(y.connectCpu.other)}); app RSS ${n(y.rssMb)} MB (≤ ${n(y.targets.rssMb)}: ${ok(y.met.rss)}); ${n(y.readingsPerSecond)} stored/s (${y.store}; the fleet offered ${n(y.offeredPerSecond)}/s, the probes add theirs)`]);
    rows.push(['city: PUBACK p50 / p99', `${n(y.pubackMs.p50, 1)} / ${n(y.pubackMs.p99, 1)} ms`, `≤ ${y.targets.pubackP99Ms} ms: ${ok(y.met.puback)}; ${n(y.pubackMs.samples)} publishes, app CPU ${pct(y.app.loop.appCpuShare)}, event loop p99 ${n(y.app.loop.eventLoopP99Ms, 1)} ms`]);
    rows.push(['city: publish → alert:fired p50 / p99', `${n(y.alertLatencyMs.p50, 1)} / ${n(y.alertLatencyMs.p99, 1)} ms`, `≤ ${y.targets.alertP99Ms} ms: ${ok(y.met.alert)}; ${y.alertLatencyMs.samples} alerts${y.alertLatencyMs.missed ? `, ${y.alertLatencyMs.missed} missed` : ''}${y.alertLatencyMs.error ? `; ${y.alertLatencyMs.error}` : ''}`]);
    rows.push(['city: all back after kill -9 and restart', `${n(y.reconnect.seconds, 1)} s`, `≤ ${y.targets.reconnectS} s: ${ok(y.met.reconnect)}; ${n(y.reconnect.devices)} devices; app listening after ${n(y.reconnect.appUpS, 1)} s (CPU: app ${pct(y.reconnect.cpu.app)}, generators ${pct(y.reconnect.cpu.generators)}, others ${pct(y.reconnect.cpu.other)})`]);
    rows.push(['city: load generator', `${pct(y.loadGenerator.cpuShare)} of a core`, `${n(y.loadGenerator.rssMb)} MB RSS, ${y.loadGenerator.processes} process(es), ${y.loadGenerator.sources.length} source address(es), ${n(y.loadGenerator.late)} publishes > 100 ms late; other processes ${pct(y.cpu.other)}`]);
  }
  const p = r.peer;
  if (p) {
    const side = (name: string, x: NonNullable<typeof p>['citysense']) =>
      rows.push([`peer: ${name}`, `${n(x.fullLoad.storedPerSecond)} stored/s`, `full load: ${n(x.fullLoad.lost)} of ${n(x.fullLoad.acked)} acknowledged lost; ${p.outage.seconds} s InfluxDB outage at ${n(p.outage.ratePerSecond)}/s: ${n(x.outage.lost)} of ${n(x.outage.acked)} lost`]);
    side('citysense', p.citysense);
    side('Mosquitto → Node-RED, defaults', p.defaults);
    side('Mosquitto → Node-RED, tuned', p.tuned);
    rows.push(['peer: citysense ÷ tuned peer (stored/s)', `${n(p.ratioToTuned, 2)}×`, `≥ ${p.targets.ratioToTuned}×: ${ok(p.met.ratio)}; citysense lost ${p.met.noLoss ? 'none' : 'SOME'}${p.met.peerLost ? ', the peer lost some' : ''} (Node-RED ${p.versions.nodeRed}, node-red-contrib-influxdb ${p.versions.contrib})`]);
  }
  const w = [Math.max(...rows.map((x) => x[0].length)), Math.max(...rows.map((x) => x[1].length))];
  const lines = [
    `citysense benchmark — ${r.machine.cores} cores (${r.machine.cpu}), ${r.machine.memGb} GB, Node ${r.machine.node}`,
    'Absolute numbers are this machine\'s; the ratios to the same run\'s references are the claim.',
    '',
    ...rows.map(([k, v, note]) => `${k.padEnd(w[0]!)}  ${v.padStart(w[1]!)}  ${note}`),
    ...(b || Object.keys(r.details.endToEnd).length
      ? ['', `load generator: ${r.loadGenerator.kind}; at most ${pct(r.loadGenerator.cpuShare)} of a core (${pct(r.loadGenerator.cpuShareOfMachine)} of the machine)`]
      : []),
  ];
  return lines.join('\n');
}
