import { checkBrokerUrl, connectFleet, unsettled, type DeviceLink } from './links.js';
import { newCounters, startProgress, type Counters, type Summary } from './progress.js';
import { ProvisionError, provisionFleet, readCredentialsFile, type Credentials } from './provision.js';
import { RecordingError, measureRecording, openRecording, shiftForReplay } from './record.js';

export interface ReplayOptions {
  /** The recording (JSONL) written by `simulate --record`. */
  file: string;
  mqtt: string;
  /** 2: twice as fast; 0.5: half speed (default 1). */
  speed?: number;
  /** The devices' credentials (the file `simulate --credentials` wrote, or any with the same devices). */
  credentialsFile?: string;
  /** Or register the recording's devices anew (a fresh citysense) and use the new credentials. */
  provision?: { api: string; token: string };
  progress?: NodeJS.WriteStream;
  signal?: AbortSignal;
  notice?: (text: string) => void;
  drainMs?: number;
}

/** The replay's progress line: time and messages against the recording's totals, and the share done. */
export function replayProgress(c: Counters, total: { messages: number; lastT: number }, elapsedMs: number, speed: number): string {
  const pct = total.messages ? Math.min(100, (c.sent / total.messages) * 100) : 100;
  return `${(elapsedMs / 1000).toFixed(0)} s of ${(total.lastT / speed / 1000).toFixed(0)} s  sent ${c.sent} of ${total.messages} (${pct.toFixed(0)}%)  ` +
    `acked ${c.acknowledged}  refused ${c.refused}`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Republishes a recording with its relative timing (divided by `speed`). Payload timestamps move with
 * the replay: each keeps its offset from the moment it was sent, so skewed clocks stay skewed and
 * nothing is too old for the platform.
 */
export async function runReplay(options: ReplayOptions): Promise<Summary> {
  checkBrokerUrl(options.mqtt);
  const speed = options.speed ?? 1;
  if (!(speed > 0)) throw new RangeError('--speed must be positive');
  // A first pass counts the messages, so the progress line can say how far the replay is (a recording is read lazily).
  const total = await measureRecording(options.file);
  const { header, lines } = await openRecording(options.file);
  const fleet = header.devices;
  let credentials: Map<string, Credentials> | undefined;
  if (options.provision) {
    credentials = await provisionFleet(options.provision.api, options.provision.token, fleet);
  } else if (options.credentialsFile) {
    credentials = readCredentialsFile(options.credentialsFile).credentials;
    const missing = fleet.filter((d) => !credentials!.has(d.id)).map((d) => d.id);
    if (missing.length) throw new ProvisionError(`${options.credentialsFile} has no credentials for ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}`);
  } else {
    options.notice?.('no --credentials and no --provision: connecting without credentials (needs MQTT_ALLOW_ANONYMOUS=true)');
  }
  const links: DeviceLink[] = await connectFleet(options.mqtt, fleet, credentials);
  const byId = new Map(links.map((l) => [l.device.id, l]));
  const counters = newCounters();
  const lastTs = new Map<string, number>();
  const start = performance.now();
  const elapsed = () => performance.now() - start;
  const stopProgress = startProgress(options.progress, () => replayProgress(counters, total, elapsed(), speed));
  try {
    for await (const line of lines) {
      if (options.signal?.aborted) break;
      const due = line.t / speed;
      const wait = due - elapsed();
      if (wait > 1) await sleep(wait);
      const link = byId.get(line.device);
      if (!link) throw new RecordingError(`${options.file}: device ${line.device} is not in the header`);
      if ('action' in line) {
        if (line.action === 'drop') link.drop();
        else link.reconnect();
        continue;
      }
      if (link.dropped) link.reconnect();
      // Keep each timestamp's offset from its send time (skewed clocks stay skewed), a device's timestamps only
      // going forward.
      const shifted = shiftForReplay(line.payload, Date.now() - (header.startedAt + line.t), lastTs.get(line.device) ?? -Infinity);
      lastTs.set(line.device, shifted.last);
      const payload = shifted.payload;
      counters.sent++;
      if (line.fault) counters.faults++;
      link.publish(line.topic, payload, line.qos, (err) => {
        if (err) counters.refused++;
        else if (line.qos === 1) counters.acknowledged++;
      });
    }
    const seconds = elapsed() / 1000;
    const drainUntil = Date.now() + (options.drainMs ?? 10_000);
    let left = unsettled(links);
    while (left.refused + left.unacknowledged > 0 && Date.now() < drainUntil) {
      await sleep(20);
      left = unsettled(links);
    }
    return {
      ...counters, refused: counters.refused + left.refused, devices: fleet.length, qos: header.qos, seconds,
      rate: counters.sent / Math.max(seconds, 0.001), targetRate: header.rate * speed, pending: left.unacknowledged,
      scenario: header.scenario, seed: header.seed,
    };
  } finally {
    stopProgress();
    await lines.return(undefined);
    await Promise.all(links.map((l) => l.close()));
  }
}
