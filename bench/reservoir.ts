/** Latency samples of the load generators, kept by reservoir sampling. */

const SAMPLE_MAX = 100_000;

/** Latency samples kept by reservoir sampling, so memory is bounded whatever the run length. */
export class Reservoir {
  private readonly values = new Float64Array(SAMPLE_MAX);
  private seen = 0;
  /** The largest value added (every one, not only the kept). */
  max = 0;

  add(v: number): void {
    if (v > this.max) this.max = v;
    if (this.seen < SAMPLE_MAX) this.values[this.seen] = v;
    else {
      const j = Math.floor(Math.random() * (this.seen + 1));
      if (j < SAMPLE_MAX) this.values[j] = v;
    }
    this.seen++;
  }

  /** The values kept (all of them, up to 100,000; a uniform sample of them past that). */
  kept(): Float64Array {
    return this.values.slice(0, Math.min(this.seen, SAMPLE_MAX));
  }

  percentile(p: number): number {
    const n = Math.min(this.seen, SAMPLE_MAX);
    if (n === 0) return 0;
    const sorted = this.values.slice(0, n).sort();
    return sorted[Math.min(n - 1, Math.floor(p * n))]!;
  }
}
