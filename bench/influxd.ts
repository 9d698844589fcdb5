/** A private InfluxDB 1.x and the process helpers it needs: shared by the benchmark and the tests (tests may import bench code; src never does). */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Ends a server process started by a fixture: SIGTERM, then SIGKILL after 5 s; resolves once it exited. */
export async function terminate(proc: ChildProcess | undefined): Promise<void> {
  if (!proc || proc.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    proc.once('exit', () => resolve());
    proc.kill('SIGTERM');
    setTimeout(() => proc.kill('SIGKILL'), 5000).unref();
  });
}

export interface PrivateInfluxd {
  url: string;
  /** Stops the server (SIGTERM), keeping its data for start(). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops it and removes its data. */
  close(): Promise<void>;
}

/**
 * Starts a private InfluxDB 1.x (Debian's `influxd`) in a temp dir on free loopback ports, as
 * scripts/test-all.sh does for the whole suite. Used by the benchmark (when no `--influx-url` is given) and by
 * tests that must stop and start InfluxDB (through tests/fixtures/influxd.ts).
 */
export async function startPrivateInfluxd(): Promise<PrivateInfluxd> {
  const dir = mkdtempSync(join(tmpdir(), 'citysense-influxd-'));
  const [httpPort, rpcPort] = [await freePort(), await freePort()];
  const conf = join(dir, 'influxdb.conf');
  writeFileSync(
    conf,
    [
      'reporting-disabled = true',
      `bind-address = "127.0.0.1:${rpcPort}"`,
      `[meta]\n  dir = "${dir}/meta"`,
      `[data]\n  dir = "${dir}/data"\n  wal-dir = "${dir}/wal"\n  query-log-enabled = false`,
      `[http]\n  bind-address = "127.0.0.1:${httpPort}"\n  log-enabled = false`,
      '[monitor]\n  store-enabled = false',
      '[logging]\n  level = "warn"',
    ].join('\n') + '\n',
  );
  const url = `http://127.0.0.1:${httpPort}`;
  let child: ChildProcess | undefined;

  async function start(): Promise<void> {
    const proc = spawn(process.env.INFLUXD_BIN ?? 'influxd', ['-config', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
    const exited = new Promise<never>((_, reject) => {
      proc.once('error', (e) => reject(new Error(`cannot start influxd (install Debian's influxdb package): ${e.message}`)));
      proc.once('exit', (code) => reject(new Error(`influxd exited with ${code}: ${stderr}`)));
    });
    exited.catch(() => undefined);
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const ok = await Promise.race([fetch(`${url}/ping`).then((r) => r.status === 204, () => false), exited]);
      if (ok) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    proc.kill('SIGKILL');
    throw new Error(`influxd did not answer /ping within 20 s: ${stderr}`);
  }

  async function stop(): Promise<void> {
    const proc = child;
    child = undefined;
    await terminate(proc);
  }

  await start();
  return {
    url,
    start,
    stop,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
