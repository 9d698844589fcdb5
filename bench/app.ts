import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createDeviceSecrets, createLogger, hashSecret } from '../src/core/index.js';
import { createInfluxReadingStore, createSqliteReadingStore, createSqliteStores, type ReadingStore } from '../src/storage/index.js';
import { ROOT, cpuSeconds, rssMb, startNodeFlags } from './children.js';
import { fleetDevice } from './readings.js';

/** The app under test: the built citysense (`dist/src/app/main.js`, as `npm start` runs it) in its own process. */
export interface AppUnderTest {
  pid: number;
  httpUrl: string;
  mqttPort: number;
  dataDir: string;
  /** `GET /api/stats` (failing after `timeoutMs`, when given) */
  stats(timeoutMs?: number): Promise<{ readings: { accepted: number; stored: number; refused: Record<string, number> }; spool: { backlog: number }; connectedDevices: number }>;
  rssMb(): number;
  cpuSeconds(): number;
  /** Samples of the app's Prometheus metrics (`GET /metrics`), by series name with its labels. */
  metrics(): Promise<Map<string, number>>;
  /** Counts the readings in the app's store, through the same storage adapter the app uses. */
  countStored(): Promise<number>;
  /** SIGTERM, as an operator stops it (graceful; a CPU profile is written on exit). */
  stop(): Promise<void>;
  /** SIGKILL (`kill -9`, as a crash or the OOM killer ends it); resolves once it exited. */
  kill(): Promise<void>;
}

export interface AppOptions {
  dataDir: string;
  adminToken: string;
  influx?: { url: string; db: string };
  /** Directory for a V8 CPU profile of the app (`node --cpu-prof`). */
  cpuProfDir?: string;
  /** More Node options for the app process (e.g. `--trace-gc`); its non-JSON output is echoed to stderr. */
  nodeArgs?: string[];
  /** Another checkout's built app to run instead of this one's (for before/after comparisons). */
  appRoot?: string;
  env?: Record<string, string>;
}

/** Starts the built app as `npm start` does (its Node options included) and waits for its "citysense started" log line. */
export function startApp(o: AppOptions, timeoutMs = 30_000): Promise<AppUnderTest> {
  const root = o.appRoot ?? ROOT;
  const MAIN = join(root, 'dist', 'src', 'app', 'main.js');
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (npm run bench does)`);
  const args = [...startNodeFlags(root), ...(o.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`] : []), ...(o.nodeArgs ?? []), MAIN];
  const proc = spawn(process.execPath, args, {
    cwd: o.dataDir,
    env: {
      PATH: process.env.PATH ?? '',
      HOST: '127.0.0.1',
      HTTP_PORT: '0',
      MQTT_PORT: '0',
      DATA_DIR: o.dataDir,
      ADMIN_TOKEN: o.adminToken,
      LOG_LEVEL: 'info',
      ...(o.influx ? { INFLUX_URL: o.influx.url, INFLUX_BUCKET: o.influx.db } : {}),
      ...o.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<number | string>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const headers = { authorization: `Bearer ${o.adminToken}` };

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`app did not start within ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`app exited with ${code} before starting: ${stderr}`));
    });
    // The pipe is read to the end (a full pipe would stall the app); warnings and errors are echoed.
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      let entry: { msg?: string; level?: number; httpPort?: number; mqttPort?: number } | undefined;
      try {
        entry = JSON.parse(line);
      } catch {
        if (o.nodeArgs?.length) process.stderr.write(`  app: ${line}\n`);
        return;
      }
      if ((entry?.level ?? 0) >= 40) process.stderr.write(`  app: ${line.slice(0, 300)}\n`);
      if (entry?.msg !== 'citysense started') return;
      clearTimeout(timer);
      const httpUrl = `http://127.0.0.1:${entry.httpPort}`;
      let store: ReadingStore | undefined;
      resolve({
        pid: proc.pid!,
        httpUrl,
        mqttPort: entry.mqttPort!,
        dataDir: o.dataDir,
        async stats(timeoutMs) {
          const res = await fetch(`${httpUrl}/api/stats`, { headers, ...(timeoutMs ? { signal: AbortSignal.timeout(timeoutMs) } : {}) });
          if (!res.ok) throw new Error(`/api/stats answered ${res.status}`);
          return (await res.json()) as never;
        },
        rssMb: () => rssMb(proc.pid!),
        async metrics() {
          const text = await (await fetch(`${httpUrl}/metrics`)).text();
          const out = new Map<string, number>();
          for (const line of text.split('\n')) {
            const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
            if (m) out.set(m[1]!, Number(m[2]));
          }
          return out;
        },
        cpuSeconds: () => cpuSeconds(proc.pid!),
        async countStored() {
          store ??= o.influx
            ? createInfluxReadingStore({ url: o.influx.url, token: '', org: '', bucket: o.influx.db, log: createLogger('silent'), timeoutMs: 120_000 })
            : createSqliteReadingStore({ file: join(o.dataDir, 'readings.db'), log: createLogger('silent') });
          await store.start();
          try {
            return await store.count();
          } finally {
            await store.close();
          }
        },
        async stop() {
          if (proc.exitCode !== null || proc.signalCode !== null) return;
          proc.kill('SIGTERM');
          const hard = setTimeout(() => proc.kill('SIGKILL'), 20_000);
          await exited;
          clearTimeout(hard);
        },
        async kill() {
          if (proc.exitCode !== null || proc.signalCode !== null) return;
          proc.kill('SIGKILL');
          await exited;
        },
      });
    });
  });
}

/**
 * Registers devices `${prefix}-${from}` … straight in the app's database before it starts, all with one secret,
 * hashed once: as the API stores it (the keyed hash under the installation's key), or with `legacy` as earlier
 * versions did (scrypt, which the app checks at each device's first login and then replaces by the keyed hash).
 */
export async function seedDevices(
  dataDir: string, fleets: Array<{ prefix: string; count: number; domain?: string; type?: string }>, secret: string, o: { legacy?: boolean } = {},
): Promise<void> {
  const meta = createSqliteStores(dataDir);
  try {
    const hash = o.legacy ? await hashSecret(secret) : createDeviceSecrets(meta.installation.deviceSecretKey()).hash(secret);
    const devices = fleets.flatMap((f) => Array.from({ length: f.count }, (_, i) => {
      const d = fleetDevice(f.prefix, i);
      return { device: { id: d.id, domain: f.domain ?? d.domain, type: f.type ?? d.type, district: 'bench' }, secretHash: hash };
    }));
    meta.devices.createMany(devices); // one transaction
  } finally {
    await meta.close();
  }
}
