import { resolve } from 'node:path';
import { Catalog, BUILTIN_CATALOG } from '../core/index.js';
import { checkAlerts, fetchRaisedAlerts } from './check.js';
import { planFleet, type FleetDevice } from './fleet.js';
import { createGenerator } from './generator.js';
import { watchIncidents, type IncidentChange } from './incidents.js';
import { checkBrokerUrl, connectFleet, unsettled, type DeviceLink } from './links.js';
import { createPrng } from './prng.js';
import { newCounters, startProgress, type Summary } from './progress.js';
import { fetchCatalog, provisionFleet, readCredentialsFile, writeCredentialsFile, type Credentials } from './provision.js';
import { createRecorder, type Recorder } from './record.js';
import { checkScenarioNames, loadScenario, type Scenario } from './scenario.js';
import { BUILTIN_SCENARIOS } from './scenarios/index.js';
import { createSlotPlanner, naturalRate, runAtRate } from './schedule.js';

export interface SimulateOptions {
  /** Broker URL: mqtt://, mqtts://, ws:// or wss://. */
  mqtt: string;
  /** Fleet size (default 100, or every device of the credentials file). */
  devices?: number;
  /** Messages per second for the whole fleet (default: the natural rate, each device at its catalog interval). */
  rate?: number;
  /** How long to run, ms (default: until `signal` aborts). */
  durationMs?: number;
  seed?: string | number;
  /** A built-in scenario's name, a scenario file (JSON or YAML), or a parsed scenario (default `normal`). */
  scenario?: string | Scenario;
  /** JSONL file that receives every message sent. */
  record?: string;
  /** Register the fleet through the API (`POST /api/devices`) with an admin token. */
  provision?: { api: string; token: string };
  /** With `provision`: where to write the fleet's credentials. Without: the fleet and credentials to use. */
  credentialsFile?: string;
  qos?: 0 | 1;
  /** Catalog to simulate (default: the API's with `provision`, else the built-in one). */
  catalog?: Catalog;
  /** Device id prefix (default `sim`). */
  prefix?: string;
  /** Where the live progress line goes (only when it is a TTY). */
  progress?: NodeJS.WriteStream;
  /** Aborting ends the run early (and cleanly). */
  signal?: AbortSignal;
  /** Notices for the operator (default: none). */
  notice?: (text: string) => void;
  /** With `provision`: the alert check is required (a failure to read the alerts raised throws). */
  check?: boolean;
  /** Longest wait for outstanding acknowledgements at the end, ms (default 10 s). */
  drainMs?: number;
  /** Hears each incident (a scenario event's occurrence) as it starts and as it ends. */
  onIncident?: (change: IncidentChange) => void;
}

export interface SimulateResult extends Summary {
  fleet: FleetDevice[];
}

/**
 * Runs a simulated fleet against a broker: provisions or reads credentials, connects every device on its
 * own connection, publishes at a steady rate for the duration, and reports what happened.
 * Throws ProvisionError or ConnectError when it cannot start.
 */
export async function runSimulation(options: SimulateOptions): Promise<SimulateResult> {
  const notice = options.notice ?? (() => undefined);
  checkBrokerUrl(options.mqtt);
  const qos = options.qos ?? 1;
  const seed = String(options.seed ?? 1);
  const scenario = typeof options.scenario === 'object' ? options.scenario : loadScenario(options.scenario ?? 'normal', BUILTIN_SCENARIOS);
  const root = createPrng(seed);

  let fleet: FleetDevice[];
  let credentials: Map<string, Credentials> | undefined;
  let catalog = options.catalog;
  const files: { record?: string; credentials?: string } = {};
  if (options.provision) {
    catalog ??= await fetchCatalog(options.provision.api, options.provision.token);
    checkScenarioNames(scenario, catalog); // before registering a fleet for a run that cannot go
    fleet = planFleet(catalog, { devices: options.devices ?? 100, prefix: options.prefix }, root.fork('fleet'));
    notice(`provisioning ${fleet.length} devices through ${options.provision.api}`);
    const began = Date.now();
    credentials = await provisionFleet(options.provision.api, options.provision.token, fleet);
    notice(`provisioned ${fleet.length} devices in ${((Date.now() - began) / 1000).toFixed(1)} s`);
    if (options.credentialsFile) {
      writeCredentialsFile(options.credentialsFile, fleet, credentials);
      files.credentials = resolve(options.credentialsFile);
      notice(`credentials of ${fleet.length} devices written to ${files.credentials}`);
    }
  } else if (options.credentialsFile) {
    const file = readCredentialsFile(options.credentialsFile);
    fleet = options.devices !== undefined ? file.fleet.slice(0, options.devices) : file.fleet;
    credentials = file.credentials;
  } else {
    catalog ??= new Catalog(BUILTIN_CATALOG);
    fleet = planFleet(catalog, { devices: options.devices ?? 100, prefix: options.prefix }, root.fork('fleet'));
    notice('no --provision and no --credentials: connecting without credentials (needs MQTT_ALLOW_ANONYMOUS=true)');
  }
  catalog ??= new Catalog(BUILTIN_CATALOG);
  if (fleet.length === 0) throw new RangeError('the fleet is empty');
  const cat = catalog;
  checkScenarioNames(scenario, cat);
  const intervals = fleet.map((d) => {
    const t = cat.get(d.domain, d.type);
    if (!t) throw new RangeError(`device ${d.id}: ${d.domain}/${d.type} is not in the catalog`);
    return t.intervalMs;
  });
  const natural = naturalRate(intervals);
  const rate = options.rate ?? natural;
  if (rate < natural / 3) {
    notice(`--rate ${rate} is below a third of this fleet's natural rate (${natural.toFixed(1)} msg/s): devices will report less often than 3 catalog intervals and go stale`);
  }

  const links: DeviceLink[] = await connectFleet(options.mqtt, fleet, credentials);
  notice(`${fleet.length} devices connected to ${options.mqtt}; publishing about ${rate.toFixed(1)} msg/s (scenario ${scenario.name})`);
  const generator = createGenerator({ catalog: cat, fleet, scenario, seed, qos });
  const planner = createSlotPlanner(intervals, root.fork('schedule'));
  const counters = newCounters();
  const lastTs = new Map<string, number>();
  let recorder: Recorder | undefined;
  const total = options.durationMs !== undefined ? Math.round((options.durationMs / 1000) * rate) : Infinity;
  const startedAt = Date.now();
  if (options.record) {
    files.record = resolve(options.record);
    recorder = createRecorder(options.record, { kind: 'citysense-recording', version: 1, startedAt, seed, scenario: scenario.name, rate, qos, devices: fleet });
  }

  const run = runAtRate({
    rate,
    total,
    onSlot(_k, due) {
      const out = generator.next(planner.next(), due);
      const link = links[out.device]!;
      const id = fleet[out.device]!.id;
      if (out.silent) {
        counters.silent++;
        if (out.silent.disconnect && !link.dropped) {
          link.drop();
          recorder?.write({ t: due, device: id, action: 'drop' });
        }
        return;
      }
      if (link.dropped) {
        link.reconnect();
        recorder?.write({ t: due, device: id, action: 'reconnect' });
      }
      // A device's timestamps only go forward: slots caught up after a stall must not share a millisecond, which
      // a store keeps as one point.
      const ts = Math.max(Date.now(), (lastTs.get(id) ?? 0) + 1);
      lastTs.set(id, ts);
      const payload = out.encode(ts);
      recorder?.write({ t: due, device: id, topic: out.topic, qos: out.qos, payload, ...(out.fault ? { fault: out.fault } : {}) });
      counters.sent++;
      if (out.fault) counters.faults++;
      link.publish(out.topic, payload, out.qos, (err) => {
        if (err) counters.refused++;
        else if (out.qos === 1) counters.acknowledged++;
      });
    },
  });
  const stopIncidents = options.onIncident ? watchIncidents(generator.inForce, fleet, run.elapsed, options.onIncident) : () => undefined;
  const onAbort = () => run.stop();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) run.stop();
  const stopProgress = startProgress(options.progress, () => {
    const s = run.elapsed() / 1000;
    return `${s.toFixed(0)} s  sent ${counters.sent}  acked ${counters.acknowledged}  refused ${counters.refused}  ` +
      `faults ${counters.faults}  ${(counters.sent / Math.max(s, 0.001)).toFixed(1)} msg/s (target ${rate.toFixed(1)})`;
  });

  try {
    await run.done;
    stopIncidents();
    const seconds = run.elapsed() / 1000;
    const drainUntil = Date.now() + (options.drainMs ?? 10_000);
    let left = unsettled(links);
    while (left.refused + left.unacknowledged > 0 && Date.now() < drainUntil) {
      await new Promise((r) => setTimeout(r, 20));
      left = unsettled(links);
    }
    stopProgress();
    const result: SimulateResult = {
      ...counters, refused: counters.refused + left.refused, devices: fleet.length, qos, seconds,
      rate: counters.sent / Math.max(seconds, 0.001), targetRate: rate, pending: left.unacknowledged, scenario: scenario.name, seed, fleet,
      ...(files.record || files.credentials ? { files } : {}),
    };
    if (options.provision) {
      // Through the API, as a client: the alerts raised on this fleet since the start, against the scenario's.
      try {
        const raised = await fetchRaisedAlerts(options.provision.api, options.provision.token, startedAt, new Set(fleet.map((d) => d.id)));
        result.alertCheck = checkAlerts(scenario, raised);
      } catch (e) {
        if (options.check) throw e;
        notice(`no alert check: ${(e as Error).message}`);
      }
    }
    return result;
  } finally {
    stopIncidents();
    stopProgress();
    options.signal?.removeEventListener('abort', onAbort);
    run.stop();
    await Promise.all(links.map((l) => l.close()));
    await recorder?.close();
  }
}
