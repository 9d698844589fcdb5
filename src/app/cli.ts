import { Command, CommanderError, Option } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { durationMs, positive, positiveInt } from './cli-args.js';
import { onceInterrupted } from './interrupt.js';

/** The version in citysense's package.json, found upwards from this file (src/app or dist/src/app). */
function packageVersion(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'citysense' && pkg.version) return pkg.version;
    }
    if (dirname(dir) === dir) return 'unknown';
  }
}

/** The `citysense` command line. */
const program = new Command('citysense')
  .description('city sensor ingestion and monitoring backbone')
  .version(packageVersion(), '-V, --version', "print citysense's version")
  // Usage errors exit 2 (1 is for runtime failures), but commander exits 1: make it throw instead, and the catch
  // at the end sets the code. Set before .command(), so every subcommand inherits it.
  .exitOverride();

program
  .command('start', { isDefault: true })
  .description('run the broker, ingest, API and console (configured by environment variables and .env)')
  // The default command receives any word that is not a command: let it through to say so, not "too many arguments".
  .allowExcessArguments()
  .action(async (_opts, cmd: Command) => {
    const word = cmd.args[0];
    if (word !== undefined) {
      const commands = program.commands.map((c) => c.name()).join(', ');
      program.error(`error: unknown command '${word}' (commands: ${commands})`, { code: 'commander.unknownCommand' });
    }
    await import('./main.js');
  });

/** Runs `fn` with an AbortSignal that the first Ctrl-C trips (the run ends cleanly); a second exits at once. */
async function interruptible(fn: (signal: AbortSignal) => Promise<void>): Promise<void> {
  const ctl = new AbortController();
  const interrupts = onceInterrupted(() => {
    process.stderr.write('\nstopping (Ctrl-C again to quit now)\n');
    ctl.abort();
  }, () => process.exit(130));
  try {
    await fn(ctl.signal);
  } catch (e) {
    const err = e as Error;
    const known = ['ProvisionError', 'ConnectError', 'ScenarioError', 'RecordingError', 'RangeError', 'AlertCheckError'].includes(err.name);
    process.stderr.write(`citysense: ${known ? err.message : err.stack ?? err.message}\n`);
    process.exitCode = err.name === 'ScenarioError' || err.name === 'RangeError' ? 2 : 1;
  } finally {
    interrupts.off();
  }
}

function provisionOf(opts: { provision?: string; token?: string }, cmd: Command) {
  if (opts.provision === undefined) return undefined;
  if (!opts.token) cmd.error('error: --provision needs --token (an admin API token)');
  return { api: opts.provision, token: opts.token! };
}

program
  .command('simulate')
  .description('connect a simulated city fleet, each device on its own MQTT connection, and publish at a steady rate')
  .requiredOption('--mqtt <url>', 'broker URL (mqtt://host:1883, mqtts://…, ws://host:8080/mqtt)')
  .option('--devices <n>', 'fleet size (default 100, or all devices of --credentials)', positiveInt)
  .option('--rate <r>', "messages per second for the whole fleet (default: every device at its catalog interval)", positive)
  .option('--duration <d>', 'how long to run: 20s, 5m, 1h (default: until Ctrl-C)', durationMs)
  .option('--seed <s>', 'random seed: the same seed gives the same messages', '1')
  .option('--scenario <name|file>', 'normal, rush-hour, heatwave, fire, flood, gas-leak, mass-casualty, sensor-faults, dropouts, demo, or a JSON/YAML file', 'normal')
  .option('--record <file.jsonl>', 'write every message sent to this file (for replay)')
  .option('--provision <api_url>', 'register the fleet through this API (needs --token)')
  .option('--token <t>', 'admin API token for --provision')
  .option('--credentials <file>', 'with --provision: write the fleet and its credentials here; without: read them from here')
  .addOption(new Option('--qos <q>', 'MQTT QoS').choices(['0', '1']).default('1'))
  .option('--check', "with --provision: exit 1 when the alerts raised differ from the scenario's expected alerts (by rule)")
  .action(async (opts, cmd: Command) => {
    const provision = provisionOf(opts, cmd);
    if (opts.check && !provision) cmd.error('error: --check needs --provision (the API the alerts raised are read from) and --token');
    await interruptible(async (signal) => {
      const { runSimulation, formatSummary, describeIncident } = await import('../simulator/index.js');
      const result = await runSimulation({
        mqtt: opts.mqtt, devices: opts.devices, rate: opts.rate, durationMs: opts.duration, seed: opts.seed,
        scenario: opts.scenario, record: opts.record, provision, credentialsFile: opts.credentials,
        qos: Number(opts.qos) as 0 | 1, progress: process.stderr, signal, check: opts.check === true,
        notice: (t) => process.stderr.write(`citysense: ${t}\n`),
        onIncident: (c) => process.stderr.write(`citysense: ${describeIncident(c)}\n`),
      });
      process.stdout.write(`${formatSummary(result)}\n`);
      if (opts.check && result.alertCheck && !result.alertCheck.ok) {
        process.stderr.write('citysense: the alerts raised differ from the scenario\'s expected alerts (--check)\n');
        process.exitCode = 1;
      }
    });
  });

program
  .command('replay')
  .description('republish a recording made with simulate --record, keeping its relative timing')
  .argument('<file.jsonl>', 'the recording')
  .requiredOption('--mqtt <url>', 'broker URL')
  .option('--speed <x>', 'play faster (2) or slower (0.5)', positive, 1)
  .option('--credentials <file>', "the devices' credentials (as written by simulate --credentials)")
  .option('--provision <api_url>', "register the recording's devices anew through this API (needs --token)")
  .option('--token <t>', 'admin API token for --provision')
  .action(async (file: string, opts, cmd: Command) => {
    const provision = provisionOf(opts, cmd);
    await interruptible(async (signal) => {
      const { runReplay, formatSummary } = await import('../simulator/index.js');
      const result = await runReplay({
        file, mqtt: opts.mqtt, speed: opts.speed, credentialsFile: opts.credentials, provision,
        progress: process.stderr, signal, notice: (t) => process.stderr.write(`citysense: ${t}\n`),
      });
      process.stdout.write(`${formatSummary(result)}\n`);
    });
  });

program
  .command('backtest')
  .description('evaluate a rule over a simulator recording, offline (no server): exit 0, or 1 when --expect-fire / --expect-quiet does not hold, 2 on a usage error')
  .requiredOption('--rule <file.json>', 'a rule body (as POST /api/rules takes it), a rule as GET /api/rules/{id} answers it (the fields the server sets are ignored), or a whole GET /api/rules answer (every rule in it)')
  .option('--rule-id <id>', 'with a list of rules: backtest only the rule of this id')
  .requiredOption('--recording <file.jsonl>', 'a recording made with simulate --record')
  .option('--catalog <file.json>', 'the sensor catalog (as CATALOG_FILE; default: the built-in one)')
  .option('--expect-fire', 'exit 1 unless the rule (every rule backtested) would fire')
  .option('--expect-quiet', 'exit 1 if the rule (any rule backtested) would fire')
  .option('--json', 'print the result as JSON instead of a table (an array of results for a list of rules)')
  .action(async (opts, cmd: Command) => {
    if (opts.expectFire && opts.expectQuiet) cmd.error('error: --expect-fire and --expect-quiet exclude each other');
    const { backtestRuleFile, formatOffline } = await import('./backtest-offline.js');
    const { loadCatalog } = await import('../core/index.js');
    try {
      const { results, list, ignored } = await backtestRuleFile(loadCatalog(opts.catalog), opts.rule, opts.recording, opts.ruleId);
      if (ignored.length) process.stderr.write(`citysense: --rule ${opts.rule}: ignored what the server sets (${ignored.join(', ')})\n`);
      if (opts.json) process.stdout.write(`${JSON.stringify(list ? results : results[0])}\n`);
      else process.stdout.write(`${results.map(formatOffline).join('\n\n')}\n`);
      const failed = results.filter((r) => (opts.expectFire && r.alerts.length === 0) || (opts.expectQuiet && r.alerts.length > 0));
      for (const r of failed) {
        const fired = r.alerts.length > 0;
        process.stderr.write(`citysense: ${list ? `rule ${r.rule}: ` : ''}the rule would ${fired ? `fire ${r.alerts.length} times` : 'not fire'} (${opts.expectFire ? '--expect-fire' : '--expect-quiet'})\n`);
      }
      if (failed.length > 0) process.exitCode = 1;
    } catch (e) {
      const err = e as Error;
      const usage = ['BacktestUsageError', 'ConfigError'].includes(err.name);
      process.stderr.write(`citysense: ${usage ? err.message : err.stack ?? err.message}\n`);
      process.exitCode = usage ? 2 : 1;
    }
  });

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (!(e instanceof CommanderError)) throw e;
  // Commander has printed the message. Help and version exit 0; anything else it stops on is a usage error.
  process.exitCode = e.exitCode === 0 ? 0 : 2;
}
