import type { Prng } from './prng.js';

/**
 * Which device sends in each fleet-wide slot. Each device gets slots in proportion to 1/period
 * (stride scheduling over a min-heap of "next due" marks), so a 5 s ambulance reports twelve times
 * as often as a 60 s traffic loop, whatever the overall rate, and each device's own messages are evenly spread.
 */
export interface SlotPlanner {
  /** The device of the next slot. */
  next(): number;
}

/** A planner over devices with these periods (any unit); each starts at a random phase drawn from `rng`. */
export function createSlotPlanner(periods: readonly number[], rng: Prng): SlotPlanner {
  if (periods.length === 0) throw new RangeError('no devices to schedule');
  const due = periods.map((p) => rng.uniform(0, p));
  const heap: number[] = periods.map((_, i) => i);
  const less = (a: number, b: number) => due[a]! < due[b]! || (due[a] === due[b] && a < b);
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  };
  for (let i = (heap.length >> 1) - 1; i >= 0; i--) down(i);
  return {
    next() {
      const d = heap[0]!;
      due[d] = due[d]! + periods[d]!;
      down(0);
      return d;
    },
  };
}

/** Messages per second at which every device reports at exactly its catalog interval. */
export function naturalRate(intervalsMs: readonly number[]): number {
  return intervalsMs.reduce((s, ms) => s + 1000 / ms, 0);
}

export interface RateOptions {
  /** Slots per second. */
  rate: number;
  /** How many slots in all (Infinity: until stopped). */
  total: number;
  /** Called for slot k, due `dueMs` after the start; slots come in order. */
  onSlot(k: number, dueMs: number): void;
  /** A monotonic clock in ms (default performance.now). */
  now?: () => number;
}

export interface RateRun {
  /** Resolves when every slot has been run and the last slot's period is over, or after stop(). */
  done: Promise<void>;
  stop(): void;
  /** Slots run so far. */
  readonly slots: number;
  /** Ms since the start. */
  elapsed(): number;
}

/**
 * Runs slots at a steady rate against absolute time: slot k is due at start + k/rate, so timer lateness
 * never accumulates into drift; a late timer runs the slots it missed at once and the schedule goes on.
 */
export function runAtRate(options: RateOptions): RateRun {
  const { rate, total, onSlot } = options;
  if (!(rate > 0)) throw new RangeError('rate must be positive');
  const now = options.now ?? (() => performance.now());
  const start = now();
  const dueOf = (k: number) => (k * 1000) / rate;
  let k = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const endAt = Number.isFinite(total) ? dueOf(total) : Infinity;

  const tick = () => {
    timer = undefined;
    if (stopped) return;
    const elapsed = now() - start;
    while (k < total && dueOf(k) <= elapsed) {
      onSlot(k, dueOf(k));
      k++;
      if (stopped) return;
    }
    const nextAt = k < total ? dueOf(k) : endAt;
    const wait = nextAt - (now() - start);
    if (k >= total && wait <= 0) {
      stopped = true;
      finish();
      return;
    }
    timer = setTimeout(tick, Math.max(0, Math.floor(wait)));
  };
  tick();

  return {
    done,
    stop() {
      if (stopped) return;
      stopped = true;
      if (timer) clearTimeout(timer);
      finish();
    },
    get slots() {
      return k;
    },
    elapsed: () => now() - start,
  };
}
