import type { Metric, Registry } from 'prom-client';

/**
 * A histogram without labels for the per-publish path, exposed on a prom-client registry exactly as a prom-client
 * Histogram is (`_bucket{le=…}` cumulative, `+Inf`, `_sum`, `_count`). Written by hand because prom-client has no
 * cheaper way in: its `observe()` makes a closure and a label object, hashes the labels and keys each bucket by its
 * bound turned into a string, about 0.8 µs per call on the benchmark's VM, several percent of a reading's CPU when
 * it ran once per publish (BENCHMARKS.md). Here an observation is a short loop and an array increment.
 */
export class BucketHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  /** Per bucket (the last one past every bound: `+Inf` only), observations that fell in it; not cumulative. */
  private counts: Float64Array;
  private sum = 0;
  private count = 0;

  constructor(readonly name: string, readonly help: string, private readonly buckets: readonly number[], registry: Registry) {
    if (buckets.some((b, i) => i > 0 && b <= buckets[i - 1]!)) throw new Error(`histogram ${name}: buckets must increase`);
    this.counts = new Float64Array(buckets.length + 1);
    registry.registerMetric(this as unknown as Metric);
  }

  /** Counts one value (seconds), as prom-client does: in the first bucket whose bound is at least the value. */
  observe(value: number): void {
    const b = this.buckets;
    let i = 0;
    while (i < b.length && value > b[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }

  /** What the registry formats (`/metrics`) and `getMetricsAsJSON` returns: prom-client's shape for a histogram. */
  async get() {
    const bucketName = `${this.name}_bucket`;
    let cumulative = 0;
    // `exemplar: null` on the buckets as prom-client has it (it keeps no exemplars either).
    const values: Array<{ value: number; labels: Record<string, string | number>; metricName: string; exemplar?: null }> = this.buckets.map((le, i) => {
      cumulative += this.counts[i]!;
      return { value: cumulative, labels: { le }, metricName: bucketName, exemplar: null };
    });
    values.push(
      { value: this.count, labels: { le: '+Inf' }, metricName: bucketName, exemplar: null },
      { value: this.sum, labels: {}, metricName: `${this.name}_sum` },
      { value: this.count, labels: {}, metricName: `${this.name}_count` },
    );
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** `registry.resetMetrics()` */
  reset(): void {
    this.counts = new Float64Array(this.buckets.length + 1);
    this.sum = 0;
    this.count = 0;
  }
}
