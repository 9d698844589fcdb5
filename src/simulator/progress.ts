import { formatCheck, type AlertCheck } from './check.js';

/** What a run counts as it goes. */
export interface Counters {
  /** Telemetry messages published. */
  sent: number;
  /** QoS 1 messages the broker acknowledged (PUBACK). */
  acknowledged: number;
  /**
   * Messages the broker did not take: a publish error, or a QoS 1 message still without its PUBACK at the end
   * whose connection was lost while it waited (citysense refuses one by closing the connection; mqtt.js resends
   * it after reconnecting, so one acknowledged then counts as acknowledged only).
   */
  refused: number;
  /** Messages with an injected fault (citysense acknowledges and dead-letters the invalid ones). */
  faults: number;
  /** Slots a dropped-out device kept quiet. */
  silent: number;
}

/** The end-of-run report (docs/contract.md section 7: sent, acknowledged, refused, rate achieved). */
export interface Summary extends Counters {
  devices: number;
  qos: 0 | 1;
  /** Seconds from the first slot to the end of the last. */
  seconds: number;
  /** Messages per second achieved (sent / seconds). */
  rate: number;
  /** The rate asked for (for replay: the recording's rate × speed). */
  targetRate: number;
  /** QoS 1 messages still unacknowledged when the run gave up waiting, their connection never lost meanwhile. */
  pending: number;
  scenario?: string;
  seed?: string;
  /** The alerts raised during the run against the scenario's expected ones (simulate with --provision). */
  alertCheck?: AlertCheck;
  /** Files the run wrote (absolute paths): the recording (`--record`), the fleet's credentials (`--credentials`). */
  files?: { record?: string; credentials?: string };
}

/** Fresh counters at zero. */
export function newCounters(): Counters {
  return { sent: 0, acknowledged: 0, refused: 0, faults: 0, silent: 0 };
}

/** The summary as a few human-readable lines. */
export function formatSummary(s: Summary): string {
  const what = s.scenario !== undefined ? `scenario ${s.scenario}, seed ${s.seed}, ` : '';
  return [
    `${s.devices} devices for ${s.seconds.toFixed(1)} s (${what}QoS ${s.qos})`,
    `sent ${s.sent}  acknowledged ${s.qos === 1 ? s.acknowledged : 'n/a (QoS 0)'}  refused ${s.refused}` +
      `${s.pending ? `  unacknowledged ${s.pending}` : ''}  faults injected ${s.faults}  silent ${s.silent}`,
    `rate ${s.rate.toFixed(1)} msg/s (target ${s.targetRate.toFixed(1)})`,
    ...(s.alertCheck ? [formatCheck(s.alertCheck)] : []),
    ...(s.files?.record ? [`recording written to ${s.files.record} (replay it with: citysense replay ${s.files.record} --mqtt URL --credentials FILE)`] : []),
    ...(s.files?.credentials ? [`credentials of the ${s.devices} devices written to ${s.files.credentials} (secrets: keep it private)`] : []),
  ].join('\n');
}

/** Redraws one status line on a TTY every `everyMs` until the returned function is called. */
export function startProgress(out: NodeJS.WriteStream | undefined, line: () => string, everyMs = 500): () => void {
  if (!out?.isTTY) return () => undefined;
  const draw = () => out.write(`\r\x1b[2K${line()}`);
  const timer = setInterval(draw, everyMs);
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    draw();
    out.write('\n');
  };
}
