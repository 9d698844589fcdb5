import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { createLogger, loadConfig, newSecret } from '../core/index.js';
import { describeIncident, formatSummary, runSimulation } from '../simulator/index.js';
import { createCitysense, orExitOnConfigError } from './citysense.js';
import { reportOpenFileLimit } from './open-files.js';
import { durationMs, positive, positiveInt } from './cli-args.js';
import { onceInterrupted } from './interrupt.js';
import { DEMO_USERS, provisionDemoUsers } from './demo-users.js';

interface DemoOptions {
  devices: number;
  rate?: number;
  scenario: string;
  statusEvery: number;
}

const statusEvery = (v: string) => {
  const ms = durationMs(v);
  if (ms < 1000) throw new InvalidArgumentError('a duration of at least 1s, such as 30s or 1m');
  return ms;
};

/** `npm run demo [-- options]`: the options, or exit 2 on a usage error (0 for --help). */
function parseArgs(argv: string[]): DemoOptions {
  const cmd = new Command('demo')
    .description('citysense with a simulated city fleet (npm run demo -- --devices 50)')
    .option('--devices <n>', 'fleet size', positiveInt, 300)
    .option('--rate <r>', 'messages per second for the whole fleet (default: every device at its catalog interval)', positive)
    .option('--scenario <name|file>', 'a built-in scenario or a JSON/YAML file', 'demo')
    .addOption(new Option('--status-every <d>', 'how often to print the alert count and the fleet\'s figures').argParser(statusEvery).default(60_000, '1m'))
    .exitOverride();
  try {
    cmd.parse(argv);
  } catch (e) {
    if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 2);
    throw e;
  }
  return cmd.opts<DemoOptions>();
}

/** What the demo's own API says: devices connected, readings accepted, alerts active. */
async function statusLine(api: string, token: string): Promise<string> {
  try {
    const res = await fetch(`${api}/api/stats`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5000) });
    if (!res.ok) return `stats unavailable (HTTP ${res.status})`;
    const s = (await res.json()) as { connectedDevices: number; readings: { accepted: number }; activeAlerts: number };
    return `${s.activeAlerts} ${s.activeAlerts === 1 ? 'alert' : 'alerts'} active; ${s.connectedDevices} devices connected, ${s.readings.accepted} readings accepted`;
  } catch (e) {
    return `stats unavailable (${(e as Error).message})`;
  }
}

const clock = () => new Date().toLocaleTimeString('en-GB', { hour12: false });

/**
 * `npm run demo`: citysense with its embedded store (or InfluxDB when INFLUX_URL is set) plus a simulated
 * city of a few hundred devices at their catalog intervals, with an incident every 4 minutes
 * (scenario `demo`). It says when the fleet is provisioned, each incident as it starts and ends, and the alert
 * count (on each incident and every `--status-every`), on a terminal or not. Ctrl-C stops the fleet, then citysense.
 */
export async function demo(argv = process.argv): Promise<void> {
  const opts = parseArgs(argv);
  const loaded = await orExitOnConfigError(() => loadConfig());
  // The demo needs an admin token it knows: the ADMIN_TOKEN set, or a fresh one accepted for this run only.
  const given = loaded.adminToken !== undefined;
  const adminToken = loaded.adminToken ?? newSecret(24);
  const config = { ...loaded, adminToken };
  // Info logs would scroll the fleet's progress line away; the demo is quieter unless asked for debug or trace.
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const app = await orExitOnConfigError(() => createCitysense(config, log));
  const started = await orExitOnConfigError(() => app.start());
  reportOpenFileLimit(log); // a warning shows even at the demo's quieter level
  const local = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const api = `http://${local}:${started.httpPort}`;
  const say = (text: string) => process.stdout.write(`demo ${clock()}: ${text}\n`);
  // People sign in to the console: one operator per department and the operations centre, with this run's password.
  const password = newSecret(12);
  await provisionDemoUsers(api, adminToken, password);
  const people = DEMO_USERS.map((u) => `    ${u.username.padEnd(10)} ${u.name}${'scope' in u ? ` (${u.scope.domains.join(', ')} only)` : ' (the whole city)'}\n`).join('');
  process.stdout.write(
    `\ncitysense demo\n  console and API: http://localhost:${started.httpPort}/  (OpenAPI: ${api}/api/openapi.json)\n` +
    `  MQTT:            mqtt://localhost:${started.mqttPort}\n` +
    `  admin token:     ${given ? '(the ADMIN_TOKEN you set)' : adminToken}\n` +
    `  sign in as (password for all, this run: ${password}):\n${people}` +
    `  store:           ${config.influx ? config.influx.url : `SQLite in ${config.dataDir}`}\n\n` +
    `A fleet of ${opts.devices} simulated devices is starting (scenario ${opts.scenario}${opts.scenario === 'demo' ? ': an incident every 4 minutes' : ''}). Ctrl-C to stop.\n\n`,
  );

  const ctl = new AbortController();
  const interrupts = onceInterrupted(() => {
    process.stderr.write('\nstopping the fleet, then citysense (Ctrl-C again to quit now)\n');
    ctl.abort();
  }, () => process.exit(1));

  // The alert count once a `--status-every` and after each incident change (alerts follow a moment later).
  const status = () => void statusLine(api, adminToken).then((line) => !ctl.signal.aborted && say(line));
  let statusTimer: NodeJS.Timeout | undefined;
  let code = 0;
  try {
    const result = await runSimulation({
      mqtt: `mqtt://${local}:${started.mqttPort}`,
      devices: opts.devices,
      rate: opts.rate,
      seed: 'demo',
      scenario: opts.scenario,
      provision: { api, token: adminToken },
      qos: 1,
      progress: process.stderr,
      signal: ctl.signal,
      notice: (t) => {
        say(t);
        // Connected: from now on the figures mean something.
        if (t.includes('devices connected') && !statusTimer) statusTimer = setInterval(status, opts.statusEvery);
      },
      onIncident: (c) => {
        say(describeIncident(c));
        status();
      },
    });
    process.stdout.write(`${formatSummary(result)}\n`);
  } catch (err) {
    process.stderr.write(`demo: the fleet could not run: ${(err as Error).message}\n`);
    code = 1;
  } finally {
    clearInterval(statusTimer);
  }
  await app.stop(8000);
  interrupts.off();
  process.exit(code);
}

demo().catch((err) => {
  process.stderr.write(`citysense demo: failed to start: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
