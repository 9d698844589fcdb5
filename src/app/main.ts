import { ConfigError, createLogger, loadConfig } from '../core/index.js';
import { createCitysense } from './citysense.js';

/** `npm start`: runs citysense until SIGTERM or SIGINT, then stops gracefully (exit 0 within 10 s). */
export async function main(): Promise<void> {
  let config;
  let log;
  let app;
  try {
    config = loadConfig();
    log = createLogger(config.logLevel);
    app = createCitysense(config, log); // reads CATALOG_FILE
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`citysense: configuration error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  let started;
  try {
    started = await app.start();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`citysense: configuration error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  if (started.generatedAdminToken) {
    // Printed once, on first start, on stdout for the operator; it is stored hashed.
    process.stdout.write(`\nAdmin API token (shown once, keep it): ${started.generatedAdminToken}\n\n`);
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
