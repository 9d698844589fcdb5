/**
 * The city's fleet as one handle over several generator processes (bench/city/fleet-gen.ts): each holds at most
 * what its own open-file limit allows, so the fleet is split between them, and their figures are added up.
 */
import { quantile } from '../alert-probe.js';
import { cpuSeconds, spawnChild, type Child } from '../children.js';
import type { Connected, FleetCmd, FleetConnectCmd, FleetEvent, FleetStats } from '../protocol.js';

type Gen = Child<FleetCmd, FleetEvent>;

export interface FleetPlan extends Omit<FleetConnectCmd, 'cmd' | 'from' | 'count'> {
  devices: number;
  /** Devices one generator process holds at most. */
  perProcess: number;
}

/** What the fleet's generators did since the last mark, together. */
export interface FleetWindow extends Omit<FleetStats, 'ev' | 'samples'> {
  processes: number;
}

export interface Fleet {
  processes: number;
  /** Connects every device; resolves with the sums (elapsed: until the last generator was done). */
  connect(timeoutMs: number): Promise<Connected>;
  publish(intervalMs: number): void;
  mark(): void;
  stats(): Promise<FleetWindow>;
  /** After the app was killed: every device whose connection closed connects again (see FleetReconnectCmd). */
  reconnect(concurrency: number, retryMs: number, timeoutMs: number): Promise<Connected>;
  /** CPU seconds the generators have used so far. */
  cpuSeconds(): number;
  close(): Promise<void>;
}

const sum = (xs: Connected[]): Connected => {
  const firstError = xs.find((x) => x.firstError)?.firstError;
  return {
    ev: 'connected', connected: xs.reduce((n, x) => n + x.connected, 0), refused: xs.reduce((n, x) => n + x.refused, 0),
    failed: xs.reduce((n, x) => n + x.failed, 0), elapsedMs: Math.max(...xs.map((x) => x.elapsedMs)), ...(firstError ? { firstError } : {}),
  };
};

export function startFleet(plan: FleetPlan): Fleet {
  const k = Math.max(1, Math.ceil(plan.devices / plan.perProcess));
  const share = Math.ceil(plan.devices / k);
  const gens: Gen[] = Array.from({ length: k }, () => spawnChild<FleetCmd, FleetEvent>('city/fleet-gen.ts'));
  const all = (cmd: FleetCmd) => gens.forEach((g) => g.send(cmd));
  const { devices: _d, perProcess: _p, ...target } = plan;
  // The concurrency is the fleet's: each generator gets its part.
  const each = (c: number) => Math.max(1, Math.ceil(c / k));
  return {
    processes: k,
    async connect(timeoutMs) {
      gens.forEach((g, i) => {
        const from = i * share;
        g.send({ cmd: 'connect', ...target, concurrency: each(plan.concurrency), from, count: Math.max(0, Math.min(share, plan.devices - from)) });
      });
      return sum(await Promise.all(gens.map((g) => g.next('connected', timeoutMs))));
    },
    publish: (intervalMs) => all({ cmd: 'publish', intervalMs }),
    mark: () => all({ cmd: 'mark' }),
    async stats() {
      all({ cmd: 'stats' });
      const xs = await Promise.all(gens.map((g) => g.next('stats')));
      const samples = xs.flatMap((x) => x.samples).sort((a, b) => a - b);
      const add = (key: 'connected' | 'sent' | 'acked' | 'late' | 'dropped' | 'cpuShare' | 'rssMb') => xs.reduce((n, x) => n + x[key], 0);
      return {
        processes: k, connected: add('connected'), sent: add('sent'), acked: add('acked'), late: add('late'), dropped: add('dropped'),
        cpuShare: add('cpuShare'), rssMb: add('rssMb'), elapsedMs: Math.max(...xs.map((x) => x.elapsedMs)),
        pubackP50Ms: quantile(samples, 0.5), pubackP99Ms: quantile(samples, 0.99), pubackMaxMs: Math.max(...xs.map((x) => x.pubackMaxMs)),
      };
    },
    async reconnect(concurrency, retryMs, timeoutMs) {
      all({ cmd: 'reconnect', concurrency: each(concurrency), retryMs, timeoutMs });
      return sum(await Promise.all(gens.map((g) => g.next('connected', timeoutMs + 120_000)))); // + one attempt's CONNACK timeout
    },
    cpuSeconds: () => gens.reduce((n, g) => n + cpuSeconds(g.proc.pid!), 0),
    async close() {
      all({ cmd: 'close' });
      await Promise.all(gens.map(async (g) => {
        await Promise.race([g.exited, new Promise((r) => setTimeout(r, 10_000))]);
        await g.kill();
      }));
    },
  };
}
