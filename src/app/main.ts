import { createLogger, loadConfig } from '../core/index.js';
import { createCitysense, orExitOnConfigError } from './citysense.js';
import { reportOpenFileLimit } from './open-files.js';

/** `npm start`: runs citysense until SIGTERM or SIGINT, then stops gracefully (exit 0 within 10 s). */
export async function main(): Promise<void> {
  const { log, app } = await orExitOnConfigError(() => {
    const config = loadConfig();
    const log = createLogger(config.logLevel);
    return { log, app: createCitysense(config, log) }; // reads CATALOG_FILE
  });
  const started = await orExitOnConfigError(() => app.start()); // a port in use, a HOST that cannot be listened on
  reportOpenFileLimit(log);
  if (started.generatedAdminToken) {
    // Printed once, on first start, on stdout for the operator; it is stored hashed.
    process.stdout.write(`\nAdmin API token (shown once, keep it): ${started.generatedAdminToken}\n\n`);
  }
  if (started.generatedAdminUser) {
    const { username, password } = started.generatedAdminUser;
    process.stdout.write(
      `Admin user (password shown once; change it under Users): sign in to the console at ${started.consoleUrl ?? `http://localhost:${started.httpPort}/`}\n` +
      `  as ${username} with password ${password}\n` +
      `  or: curl -c cookies -H 'content-type: application/json' -d '{"username":"${username}","password":"${password}"}' http://localhost:${started.httpPort}/api/session\n\n`,
    );
  }

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    const hardStop = setTimeout(() => {
      log.error('shutdown took longer than 10 s; exiting');
      process.exit(1);
    }, 10_000);
    hardStop.unref();
    app.stop(8000).then(
      () => process.exit(0),
      (err) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(`citysense: failed to start: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
