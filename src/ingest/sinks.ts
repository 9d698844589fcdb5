import type { Logger } from '../core/index.js';
import type { ReadingSink, ReadingStore } from '../storage/index.js';
import type { IngestMetrics } from './metrics.js';
import type { SinkStats } from './types.js';
import type { Spool } from './spool.js';
import { SinkWriter } from './writer.js';

/** The spool's first sink: the ReadingStore (InfluxDB or SQLite), each batch timed. */
export function storeSink(store: ReadingStore, metrics: IngestMetrics, opts: { batchSize: number; concurrency: number; lingerMs: number }): ReadingSink {
  return {
    name: 'store',
    batchSize: opts.batchSize,
    concurrency: opts.concurrency,
    lingerMs: opts.lingerMs,
    async write(readings) {
      const endTimer = metrics.storeWrite.startTimer();
      await store.write(readings);
      endTimer();
    },
  };
}

/** One writer per sink, in the spool's sink order (the store first), each reporting to its sink's metrics. */
export function sinkWriters(spool: Spool, sinks: readonly ReadingSink[], log: Logger, metrics: IngestMetrics): SinkWriter[] {
  return sinks.map((sink, i) => {
    const labels = { sink: sink.name };
    return new SinkWriter(spool, i, sink, log, {
      confirmed(n) {
        if (i === 0) metrics.stored.inc(n);
        metrics.sinkWritten.inc(labels, n);
      },
      failed() {
        if (i === 0) metrics.storeWriteFailures.inc();
        metrics.sinkFailures.inc(labels);
      },
    });
  });
}

/** Sink names key positions and metrics: they must differ. Returns them. */
export function checkSinkNames(names: readonly string[]): readonly string[] {
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new Error(`two sinks of the spool are named ${twice}`);
  return names;
}

/** Per sink, what it has still to deliver (for the logs). */
export function sinkLags(writers: readonly SinkWriter[], names: readonly string[]): Record<string, number> {
  return Object.fromEntries(writers.map((w, i) => [names[i]!, w.lag]));
}

/** Every sink's lag, state and count, in the spool's sink order. */
export function sinkStats(writers: readonly SinkWriter[], names: readonly string[]): SinkStats[] {
  return writers.map((w, i) => ({ name: names[i]!, lag: w.lag, up: w.up, written: w.written }));
}
