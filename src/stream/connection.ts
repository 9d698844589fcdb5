import { connect, nanos, StorageType, type JetStreamClient, type NatsConnection, type NatsError } from 'nats';
import type { Logger } from '../core/index.js';
import { STREAM_NAME, STREAM_SUBJECTS } from './subjects.js';

/** How long JetStream remembers a `Nats-Msg-Id` to drop a republish (the stream's duplicate window). */
export const DUPLICATE_WINDOW_MS = 10 * 60_000;

/** The NATS connection as the publishers see it: a JetStream client while connected with the stream in place, else none. */
export interface StreamConnection {
  /** Starts connecting (in the background: it returns at once). */
  open(): void;
  /** The client to publish with, or undefined while NATS is unreachable (publishers fail fast then). */
  js(): JetStreamClient | undefined;
  /** Resolves once connected and the stream is there, or when closed. */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Once opened, connects to NATS in the background (start-up never waits for it) and keeps reconnecting for good. On every
 * (re)connection the stream is checked and created when missing. While disconnected js() is undefined, so a
 * batch fails at once and stays in the spool, rather than piling up in the client's reconnect buffer.
 */
export function createStreamConnection(url: string, log: Logger): StreamConnection {
  let nc: NatsConnection | undefined;
  let js: JetStreamClient | undefined;
  let closed = false;
  let readyWaiters: Array<() => void> = [];
  const settle = () => {
    const w = readyWaiters;
    readyWaiters = [];
    for (const f of w) f();
  };

  async function ensureStream(conn: NatsConnection): Promise<void> {
    const jsm = await conn.jetstreamManager();
    try {
      await jsm.streams.info(STREAM_NAME);
    } catch (err) {
      if ((err as NatsError).api_error?.err_code !== 10059) throw err; // 10059: stream not found
      await jsm.streams.add({ name: STREAM_NAME, subjects: STREAM_SUBJECTS, storage: StorageType.File, duplicate_window: nanos(DUPLICATE_WINDOW_MS) });
      log.info({ stream: STREAM_NAME, subjects: STREAM_SUBJECTS }, 'created the NATS JetStream stream');
    }
  }

  /** Checks the stream, then publishing may go on; a failure (JetStream off on the server) is logged and tried again. */
  async function becomeReady(conn: NatsConnection): Promise<void> {
    for (let wait = 1000; ; wait = Math.min(wait * 2, 30_000)) {
      if (closed || conn.isClosed()) return;
      try {
        await ensureStream(conn);
        js = conn.jetstream();
        settle();
        return;
      } catch (err) {
        log.error({ err, url }, `NATS_URL: cannot use JetStream stream ${STREAM_NAME} (is JetStream on, nats-server -js?); trying again`);
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }

  async function watch(conn: NatsConnection): Promise<void> {
    for await (const s of conn.status()) {
      if (s.type === 'disconnect') {
        js = undefined;
        log.warn({ url }, 'NATS connection lost (NATS_URL): the event stream waits in the spool and catches up on reconnect');
      } else if (s.type === 'reconnect') {
        log.info({ url }, 'NATS connection back (NATS_URL)');
        await becomeReady(conn);
      }
    }
  }

  async function first(): Promise<void> {
    try {
      const conn = await connect({ servers: url, name: 'citysense', maxReconnectAttempts: -1, reconnectTimeWait: 1000, waitOnFirstConnect: true, pingInterval: 10_000 });
      if (closed) return void (await conn.close());
      nc = conn;
      log.info({ url }, 'connected to NATS (NATS_URL)');
      watch(conn).catch((err: unknown) => log.error({ err }, 'NATS status watch ended'));
      await becomeReady(conn);
    } catch (err) {
      if (!closed) log.error({ err, url }, 'NATS_URL: cannot connect; the event stream is off until a restart');
    }
  }

  let opened = false;
  return {
    open() {
      if (opened || closed) return;
      opened = true;
      void first();
    },
    js: () => js,
    ready: () => (js || closed ? Promise.resolve() : new Promise((resolve) => readyWaiters.push(resolve))),
    async close() {
      closed = true;
      js = undefined;
      settle();
      // A first connection still being tried closes itself when it succeeds (see above).
      await nc?.close();
    },
  };
}
