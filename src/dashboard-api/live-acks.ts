// The prologue every client-to-server event with an ack shares: parse the request, answer a bad one, catch.
import type { z } from 'zod';
import type { LiveError } from './schemas/index.js';

/** The ack that refuses a request: its first issue, named by the field (`deviceIds.0: must be device ids`). */
export function refusal(err: z.ZodError): LiveError {
  const i = err.issues[0]!;
  return { error: { code: 'bad_request', message: `${i.path.join('.') || 'request'}: ${i.message}` } };
}

export type Reply<A> = (result: A | LiveError) => void;

export interface AckOptions<A> {
  /** Runs before the request is parsed: answers (or drops the client) and returns true to go no further. */
  gate?: (reply: Reply<A>) => boolean;
  /** Told of whatever the handler threw, after which the client is answered `{error: {code: 'internal'}}`. */
  onError: (err: unknown) => void;
}

/**
 * A Socket.IO listener from an event's request schema and its work: a request that does not parse is answered with
 * `{error: {code: 'bad_request', message}}` naming the field; the work gets the parsed request and the reply (a
 * no-op when the client asked for no ack); whatever it throws is reported and answered `{error: {code: 'internal'}}`,
 * since a listener that throws would end the process. Socket.IO sends only the first answer of an ack.
 */
export function withAck<S extends z.ZodType, A>(schema: S, work: (request: z.output<S>, reply: Reply<A>) => void, options: AckOptions<A>) {
  return (request: unknown, ack?: unknown): void => {
    const reply: Reply<A> = typeof ack === 'function' ? (ack as Reply<A>) : () => undefined;
    try {
      if (options.gate?.(reply)) return;
      const parsed = schema.safeParse(request ?? {});
      if (!parsed.success) return reply(refusal(parsed.error));
      work(parsed.data, reply);
    } catch (err) {
      options.onError(err);
      reply({ error: { code: 'internal', message: 'the server failed to handle this request (it is logged); try again' } });
    }
  };
}
