import { AckPolicy, connect, DeliverPolicy, type JsMsg, type NatsConnection } from 'nats';

/** A message as a test consumer saw it. */
export interface Seen {
  subject: string;
  msgId: string;
  body: any;
}

/**
 * A durable JetStream pull consumer on its own connection, as an operator's system would run one (the nats.js
 * example of docs/event-stream.md): it acks what it has taken; killed, its unacked messages come again.
 */
export async function durableConsumer(url: string, durable: string, filter: string) {
  const nc: NatsConnection = await connect({ servers: url, name: `test-${durable}` });
  const jsm = await nc.jetstreamManager();
  await jsm.consumers.add('CITYSENSE', { durable_name: durable, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, filter_subject: filter, ack_wait: 2_000_000_000 });
  const consumer = await nc.jetstream().consumers.get('CITYSENSE', durable);
  return {
    /** Fetches up to `max` messages (waiting at most `expiresMs`), acking each unless `ack` is false. */
    async fetch(max: number, expiresMs = 1000, ack = true): Promise<Seen[]> {
      const out: Seen[] = [];
      const batch = await consumer.fetch({ max_messages: max, expires: expiresMs });
      for await (const m of batch as AsyncIterable<JsMsg>) {
        out.push({ subject: m.subject, msgId: m.headers?.get('Nats-Msg-Id') ?? '', body: m.json() });
        if (ack) m.ack();
      }
      return out;
    },
    /** Ends the connection at once, as a killed process would (nothing more acked). */
    kill: () => nc.close(),
  };
}
