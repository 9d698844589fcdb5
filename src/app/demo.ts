import { createLogger, loadConfig, newSecret } from '../core/index.js';
import { formatSummary, runSimulation } from '../simulator/index.js';
import { createCitysense, orExitOnConfigError } from './citysense.js';
import { DEMO_USERS, provisionDemoUsers } from './demo-users.js';

const DEMO_DEVICES = 300;

/**
 * `npm run demo`: citysense with its embedded store (or InfluxDB when INFLUX_URL is set) plus a simulated
 * city of a few hundred devices at their catalog intervals, with an incident every 4 minutes
 * (scenario `demo`). Ctrl-C stops the fleet, then citysense.
 */
export async function demo(): Promise<void> {
  const loaded = await orExitOnConfigError(() => loadConfig());
  // The demo needs an admin token it knows: the ADMIN_TOKEN set, or a fresh one accepted for this run only.
  const given = loaded.adminToken !== undefined;
  const adminToken = loaded.adminToken ?? newSecret(24);
  const config = { ...loaded, adminToken };
  // Info logs would scroll the fleet's progress line away; the demo is quieter unless asked for debug or trace.
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const app = await orExitOnConfigError(() => createCitysense(config, log));
  const started = await orExitOnConfigError(() => app.start());
  const local = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const api = `http://${local}:${started.httpPort}`;
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
    `A fleet of ${DEMO_DEVICES} simulated devices is starting; an incident every 4 minutes. Ctrl-C to stop.\n\n`,
  );

  const ctl = new AbortController();
  let stopping = false;
  const onSignal = () => {
    if (stopping) process.exit(1);
    stopping = true;
    process.stderr.write('\nstopping the fleet, then citysense\n');
    ctl.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let code = 0;
  try {
    const result = await runSimulation({
      mqtt: `mqtt://${local}:${started.mqttPort}`,
      devices: DEMO_DEVICES,
      seed: 'demo',
      scenario: 'demo',
      provision: { api, token: adminToken },
      qos: 1,
      progress: process.stderr,
      signal: ctl.signal,
      notice: (t) => process.stderr.write(`demo: ${t}\n`),
    });
    process.stdout.write(`${formatSummary(result)}\n`);
  } catch (err) {
    process.stderr.write(`demo: the fleet could not run: ${(err as Error).message}\n`);
    code = 1;
  }
  await app.stop(8000);
  process.exit(code);
}

demo().catch((err) => {
  process.stderr.write(`citysense demo: failed to start: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
