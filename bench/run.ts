/**
 * `npm run bench`: prints a table, then one JSON object of figures as the last line (CONTRACT.md section 7).
 * Progress goes to stderr, so stdout is the table and the JSON only. See BENCHMARKS.md.
 */
import { writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULTS, DEFAULT_PHASES, PHASES, QUICK, runBench, type BenchOptions, type Phase, type StoreKind } from './bench.js';
import { table } from './report.js';

const int = (v: string) => {
  const x = Number(v);
  if (!Number.isInteger(x) || x < 1) throw new InvalidArgumentError('a positive whole number');
  return x;
};
const seconds = (v: string) => {
  const x = Number(v);
  if (!Number.isFinite(x) || x <= 0) throw new InvalidArgumentError('a positive number of seconds');
  return x;
};
const list = <T extends string>(allowed: readonly T[]) => (v: string) => {
  const xs = v.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = xs.find((x) => !allowed.includes(x as T));
  if (bad) throw new InvalidArgumentError(`one or more of ${allowed.join(', ')}`);
  return xs as T[];
};

const program = new Command('bench')
  .description('citysense benchmark: end-to-end QoS 1 rate per store against same-run references, alert latency, connections, memory')
  .addOption(new Option('--stores <list>', 'stores to run end to end').argParser(list<StoreKind>(['influxdb', 'sqlite'])).default(DEFAULTS.stores))
  .addOption(new Option('--phases <list>', `phases to run (${PHASES.join(', ')}); city and peer only when named`).argParser(list<Phase>(PHASES)).default(DEFAULT_PHASES))
  .option('--influx-url <url>', 'use this InfluxDB 1.x instead of starting a private influxd')
  .addOption(new Option('--devices <n>', 'publishing connections in the throughput runs').argParser(int).default(DEFAULTS.devices))
  .addOption(new Option('--window <n>', 'unacknowledged publishes per connection at maximum rate').argParser(int).default(DEFAULTS.window))
  .addOption(new Option('--duration <s>', 'seconds of each maximum-rate run').argParser(seconds).default(DEFAULTS.durationS))
  .addOption(new Option('--raw-duration <s>', 'seconds of each raw store run').argParser(seconds).default(DEFAULTS.rawDurationS))
  .addOption(new Option('--alert-duration <s>', 'seconds of alert probing').argParser(seconds).default(DEFAULTS.alertDurationS))
  .addOption(new Option('--alert-rate <n>', 'background readings/s while probing alerts (default: half the end-to-end maximum)').argParser(int))
  .addOption(new Option('--connections <n>', 'connection ramp target (devices)').argParser(int).default(DEFAULTS.connections))
  .addOption(new Option('--connection-step <n>', 'devices added per ramp step').argParser(int).default(DEFAULTS.connectionStep))
  .addOption(new Option('--connection-hold <s>', 'seconds all connections are held at the end').argParser(seconds).default(DEFAULTS.connectionHoldS))
  .addOption(new Option('--city-devices <n>', 'city phase: devices held, each publishing every --city-interval on average').argParser(int).default(DEFAULTS.cityDevices))
  .addOption(new Option('--city-interval <s>', 'city phase: mean seconds between one device\'s readings').argParser(seconds).default(DEFAULTS.cityIntervalS))
  .addOption(new Option('--city-rate <n>', 'city phase: readings/s the whole fleet offers (sets the interval to devices ÷ rate)').argParser(int))
  .addOption(new Option('--city-duration <s>', 'city phase: seconds measured (after --city-warmup)').argParser(seconds).default(DEFAULTS.cityDurationS))
  .addOption(new Option('--city-warmup <s>', 'city phase: seconds of publishing before the measured window').argParser(seconds).default(DEFAULTS.cityWarmupS))
  .addOption(new Option('--city-concurrency <n>', 'city phase: CONNECTs in flight at once').argParser(int).default(DEFAULTS.cityConcurrency))
  .addOption(new Option('--city-per-source <n>', 'city phase: devices per loopback source address (127.0.0.2, .3, …)').argParser(int).default(DEFAULTS.cityPerSource))
  .addOption(new Option('--city-per-process <n>', 'city phase: devices per generator process at most').argParser(int).default(DEFAULTS.cityPerProcess))
  .addOption(new Option('--peer-duration <s>', 'peer phase: seconds of each full-load run').argParser(seconds).default(DEFAULTS.peerDurationS))
  .addOption(new Option('--peer-rate <n>', 'peer phase: readings/s through the 15 s InfluxDB outage').argParser(int).default(DEFAULTS.peerRate))
  .addOption(new Option('--soak [s]', 'also run the memory-flatness check at 80% of max rate (default 300 s)').argParser(seconds).preset(300))
  .addOption(new Option('--runs <n>', 'repeat throughput, latency and reference phases; report medians').argParser(int).default(DEFAULTS.runs))
  .option('--cpu-prof <dir>', 'write V8 CPU profiles of the app processes (node --cpu-prof) to <dir>')
  .option('--app-node-args <args>', 'more Node options for the app processes, space-separated (e.g. "--trace-gc")')
  .option('--app-root <dir>', "run another checkout's build as the app under test (before/after comparisons)")
  .option('--quick', 'a reduced run of about a minute (proves the benchmark works; figures mean little)')
  .option('--keep', 'keep temp data directories')
  .option('--out <file>', 'also write the JSON object to <file>')
  .parse();

const f = program.opts();
const options: BenchOptions = {
  ...DEFAULTS,
  stores: f.stores,
  phases: f.phases,
  influxUrl: f.influxUrl,
  devices: f.devices,
  window: f.window,
  durationS: f.duration,
  rawDurationS: f.rawDuration,
  alertDurationS: f.alertDuration,
  alertRate: f.alertRate,
  connections: f.connections,
  connectionStep: f.connectionStep,
  connectionHoldS: f.connectionHold,
  cityDevices: f.cityDevices,
  cityIntervalS: f.cityInterval,
  cityRate: f.cityRate,
  cityDurationS: f.cityDuration,
  cityWarmupS: f.cityWarmup,
  cityConcurrency: f.cityConcurrency,
  cityPerSource: f.cityPerSource,
  cityPerProcess: f.cityPerProcess,
  peerDurationS: f.peerDuration,
  peerRate: f.peerRate,
  soakS: f.soak ?? 0,
  runs: f.runs,
  cpuProfDir: f.cpuProf,
  appRoot: f.appRoot,
  appNodeArgs: f.appNodeArgs ? String(f.appNodeArgs).split(/\s+/).filter(Boolean) : undefined,
  keep: Boolean(f.keep),
  ...(f.quick ? QUICK : {}),
  log: (line) => process.stderr.write(`${line}\n`),
};

const started = Date.now();
runBench(options).then(
  (result) => {
    process.stderr.write(`done in ${Math.round((Date.now() - started) / 1000)} s\n\n`);
    const json = JSON.stringify(result);
    if (f.out) writeFileSync(f.out, `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`${table(result)}\n\n${json}\n`);
  },
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
