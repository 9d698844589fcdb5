import { Counter, Gauge, type Registry } from 'prom-client';

/** The event stream's metrics (the readings sink's lag is the spool's `citysense_sink_lag_readings{sink="stream"}`). */
export function createStreamMetrics(registry: Registry, src: { connected(): boolean; alertsPosition(): number }) {
  const registers = [registry];
  const published = new Counter({ name: 'citysense_stream_published_total', help: 'Messages JetStream stored, by kind (reading, alert)', labelNames: ['kind'] as const, registers });
  const duplicates = new Counter({ name: 'citysense_stream_duplicates_total', help: 'Republished messages JetStream dropped by their Nats-Msg-Id, by kind', labelNames: ['kind'] as const, registers });
  for (const kind of ['reading', 'alert']) {
    published.inc({ kind }, 0);
    duplicates.inc({ kind }, 0);
  }
  return {
    published,
    duplicates,
    gauges: [
      new Gauge({ name: 'citysense_stream_connected', help: '1 while connected to NATS with the stream in place', registers, collect() { this.set(src.connected() ? 1 : 0); } }),
      new Gauge({ name: 'citysense_stream_alerts_position', help: 'eventId of the last alert transition the stream acknowledged', registers, collect() { this.set(src.alertsPosition()); } }),
    ],
  };
}

export type StreamMetrics = ReturnType<typeof createStreamMetrics>;
