/** Per device: the last `window` sequence numbers, with the device time each came with (NaN: none). */
class DeviceSeqs {
  seqs: Float64Array;
  times: Float64Array;
  size = 0;
  next = 0;
  /** No remembered seq is above it, so a higher one needs no search (devices mostly count up). */
  max = -1;

  constructor(capacity: number) {
    this.seqs = new Float64Array(capacity);
    this.times = new Float64Array(capacity);
  }
}

/**
 * Remembers recent (device, seq) pairs to drop the duplicates that QoS 1 resends create, in bounded memory:
 * at most `window` entries per device, in typed arrays that grow only for devices that send seqs.
 * A resend repeats its payload byte for byte, so a seq that comes back with a different device time is a
 * device that restarted its counter, not a resend, and is let through.
 */
export class SeqMemory {
  private readonly devices = new Map<string, DeviceSeqs>();

  constructor(private readonly window = 1024) {}

  /** True when this device sent this seq (at this device time, when both have one) recently. */
  seen(deviceId: string, seq: number, time: number): boolean {
    const d = this.devices.get(deviceId);
    if (!d || seq > d.max) return false;
    const { seqs, times, size } = d;
    for (let i = 0; i < size; i++) {
      if (seqs[i] === seq) {
        const t = times[i]!;
        if (t === time || Number.isNaN(t) || Number.isNaN(time)) return true;
      }
    }
    return false;
  }

  /** Remembers a seq, forgetting the device's oldest once it has `window` of them. */
  remember(deviceId: string, seq: number, time: number): void {
    let d = this.devices.get(deviceId);
    if (!d) this.devices.set(deviceId, (d = new DeviceSeqs(Math.min(16, this.window))));
    if (d.size === d.seqs.length && d.size < this.window) {
      // Still filling (the ring has not wrapped): grow in place order.
      const cap = Math.min(this.window, d.size * 2);
      const seqs = new Float64Array(cap);
      const times = new Float64Array(cap);
      seqs.set(d.seqs);
      times.set(d.times);
      d.seqs = seqs;
      d.times = times;
      d.next = d.size; // `next` had wrapped to 0 in the full array: the free slots start after the last entry
    }
    d.seqs[d.next] = seq;
    d.times[d.next] = time;
    d.next = (d.next + 1) % d.seqs.length;
    if (d.size < d.seqs.length) d.size++;
    if (seq > d.max) d.max = seq;
  }

  /**
   * Per device, its newest `perDevice` remembered seqs and their times, oldest first: what a graceful stop saves
   * so that a resend after the restart is still known (see Spool.saveSeqs).
   */
  *newest(perDevice: number): Generator<{ deviceId: string; seqs: Float64Array; times: Float64Array }> {
    for (const [deviceId, d] of this.devices) {
      const n = Math.min(perDevice, d.size);
      const seqs = new Float64Array(n);
      const times = new Float64Array(n);
      // The ring's newest entry is just before `next`; walk back n entries.
      for (let k = 0; k < n; k++) {
        const i = (d.next - n + k + d.seqs.length) % d.seqs.length;
        seqs[k] = d.seqs[i]!;
        times[k] = d.times[i]!;
      }
      yield { deviceId, seqs, times };
    }
  }

  /** Forgets every seq of a device (deleted: a new device with its id starts afresh). */
  forgetDevice(deviceId: string): void {
    this.devices.delete(deviceId);
  }

  /** Forgets a seq that was remembered but could not be kept (its commit failed), so a resend is taken. */
  forget(deviceId: string, seq: number, time: number): void {
    const d = this.devices.get(deviceId);
    if (!d) return;
    for (let i = 0; i < d.size; i++) {
      if (d.seqs[i] === seq && Object.is(d.times[i], time)) d.seqs[i] = Number.NaN;
    }
  }
}
