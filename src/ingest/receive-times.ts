import type { InboundMessage, Reading } from '../core/index.js';
import type { DecodedReading } from './decode/types.js';

/** How far ahead of the clock the receive times of one device's burst may be spread (see ReceiveTimes.spread). */
export const MAX_RECEIVE_DRIFT_MS = 1000;

/** Per device, the receive time last given to a reading without a device timestamp. */
export class ReceiveTimes {
  private readonly times = new Map<string, number>();
  /** The latest receive time given to any reading. */
  max = 0;

  /**
   * Readings that take the receive time (no device timestamp) get one that no earlier message of the device has:
   * the store keys a point by device and millisecond (InfluxDB and SQLite alike), so two messages of one device
   * in the same millisecond (a queue flushed after a reconnect) would otherwise be one point, the later
   * overwriting the earlier. Such a burst is spread 1 ms apart, receive times included: a reading without a device
   * time keeps ts === receivedAt, which is how the clock-skew estimate and the spool's seqs tell it apart.
   *
   * The spread runs ahead of the clock by at most MAX_RECEIVE_DRIFT_MS: past it the message is not taken (false;
   * no PUBACK, the device sends it again later) rather than stored over another. The bound is also what keeps a
   * restart safe: this memory is not kept, and the ingest's start() waits the bound out when a previous run may
   * have used times ahead of the clock, so that no new receive time can land on one given before the restart.
   */
  spread(msg: InboundMessage, decoded: readonly DecodedReading[], readings: Reading[]): boolean {
    let anyReceiveTime = false;
    for (const d of decoded) anyReceiveTime ||= !d.deviceTs;
    if (!anyReceiveTime) return true;
    // Entries older than the receive time can no longer collide: drop them all at once, keeping the map small.
    if (msg.receivedAt > this.max || this.times.size >= 100_000) this.times.clear();
    const last = this.times.get(msg.deviceId);
    const base = last === undefined || last < msg.receivedAt ? msg.receivedAt : last + 1;
    if (base - msg.receivedAt > MAX_RECEIVE_DRIFT_MS) return false;
    this.times.set(msg.deviceId, base);
    if (base > this.max) this.max = base;
    if (base === msg.receivedAt) return true;
    for (let i = 0; i < decoded.length; i++) {
      const r = readings[i]!;
      if (!decoded[i]!.deviceTs) r.ts += base - msg.receivedAt;
      r.receivedAt = base;
    }
    return true;
  }

  forget(deviceId: string): void {
    this.times.delete(deviceId);
  }
}
