import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { REFUSAL_REASONS } from '../core/index.js';

/** What the gauges read when Prometheus scrapes. */
export interface IngestGaugeSources {
  spoolDepth(): number;
  spoolBytes(): number;
  oldestAgeMs(): number | null;
  storeUp(): boolean;
  /** Every sink of the spool (the store first) with what it has still to deliver. */
  sinks(): readonly { name: string; lag: number; up: boolean }[];
}

/** The ingest room's metrics, registered on the registry the composition root passes in. */
export function createIngestMetrics(registers: Registry, src: IngestGaugeSources) {
  const registry = [registers];
  const refused = new Counter({ name: 'citysense_messages_refused_total', help: 'Messages refused, by reason', labelNames: ['reason'] as const, registers: registry });
  for (const reason of REFUSAL_REASONS) refused.inc({ reason }, 0);
  return {
    messagesAccepted: new Counter({ name: 'citysense_messages_accepted_total', help: 'Messages accepted into the spool', registers: registry }),
    readingsAccepted: new Counter({ name: 'citysense_readings_accepted_total', help: 'Readings accepted into the spool', registers: registry }),
    refused,
    stored: new Counter({ name: 'citysense_readings_stored_total', help: 'Readings the store confirmed and that left the spool', registers: registry }),
    spoolCommits: new Counter({ name: 'citysense_spool_commits_total', help: 'Spool transactions (group commits, one per event-loop turn with work)', registers: registry }),
    storeWrite: new Histogram({
      name: 'citysense_store_write_seconds',
      help: 'Time for the store to confirm one batch',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: registry,
    }),
    storeWriteFailures: new Counter({ name: 'citysense_store_write_failures_total', help: 'Batches the store refused or failed (kept and retried)', registers: registry }),
    sinkWritten: new Counter({ name: 'citysense_sink_written_total', help: 'Readings a sink of the spool confirmed', labelNames: ['sink'] as const, registers: registry }),
    sinkFailures: new Counter({ name: 'citysense_sink_write_failures_total', help: 'Batches a sink refused or failed (kept, retried)', labelNames: ['sink'] as const, registers: registry }),
    gauges: [
      new Gauge({ name: 'citysense_spool_depth', help: 'Readings waiting in the spool', registers: registry, collect() { this.set(src.spoolDepth()); } }),
      new Gauge({ name: 'citysense_spool_bytes', help: 'Estimated bytes of readings in the spool', registers: registry, collect() { this.set(src.spoolBytes()); } }),
      new Gauge({
        name: 'citysense_spool_oldest_age_seconds',
        help: 'Age of the oldest reading waiting in the spool (0 when empty)',
        registers: registry,
        collect() { this.set((src.oldestAgeMs() ?? 0) / 1000); },
      }),
      new Gauge({ name: 'citysense_store_up', help: '1 while the store accepts writes', registers: registry, collect() { this.set(src.storeUp() ? 1 : 0); } }),
      new Gauge({
        name: 'citysense_sink_lag_readings', help: 'Readings in the spool that a sink has still to deliver', labelNames: ['sink'] as const, registers: registry,
        collect() { for (const s of src.sinks()) this.set({ sink: s.name }, s.lag); },
      }),
      new Gauge({
        name: 'citysense_sink_up', help: "1 while a sink's last write succeeded", labelNames: ['sink'] as const, registers: registry,
        collect() { for (const s of src.sinks()) this.set({ sink: s.name }, s.up ? 1 : 0); },
      }),
    ],
  };
}

export type IngestMetrics = ReturnType<typeof createIngestMetrics>;
