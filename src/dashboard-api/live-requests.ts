// The requests a Socket.IO client makes (docs/contract.md section 6): subscribe, watch and unwatch, each parsed by
// its schema and answered through withAck.
import type { Logger } from '../core/index.js';
import type { Principal } from './auth.js';
import { withAck, type Reply } from './live-acks.js';
import { overBound, type LiveLimits } from './live-flow.js';
import { room, type LiveSocket, type Matcher } from './live-socket.js';
import { MAX_WATCHED, subscribeSchema, watchSchema, type SubscribeAck, type WatchAck } from './schemas/index.js';

/** What the requests need of the Socket.IO server they belong to. */
export interface RequestContext {
  limits: LiveLimits;
  log: Logger;
  /** Drops a client whose unsent backlog passed the bound (live-flow.ts slowConsumers). */
  drop(socket: LiveSocket): void;
  /** Sends the snapshot and makes the client live. */
  goLive(socket: LiveSocket): void;
  /** Replays the transitions after `since` that the matcher covers, then goes live (unless a newer subscribe came). */
  replay(socket: LiveSocket, since: number, matcher: Matcher, gen: number): Promise<void>;
  /** Whether a device lies in a scope (unknown devices do not). */
  isInScope(scope: Principal['scope'], deviceId: string): boolean;
}

const toSet = <T>(list?: readonly T[]) => (list === undefined ? undefined : new Set(list));

/** Listens to one connection's requests, each behind `withAck`. */
export function listenRequests(socket: LiveSocket, ctx: RequestContext): void {
  const { limits, log } = ctx;
  const onError = (event: string) => (err: unknown) =>
    log.error({ err, event, token: socket.data.principal.name, address: socket.handshake.address }, `Socket.IO ${event} failed: the client was answered with an internal error`);

  socket.on('subscribe', withAck(subscribeSchema, (request, reply: Reply<SubscribeAck>) => {
    const { since, ...filter } = request;
    const matcher: Matcher = {
      domain: toSet(filter.domains), type: toSet(filter.types), severity: toSet(filter.severities),
      district: toSet(filter.districts), deviceId: toSet(filter.deviceIds),
    };
    socket.data.filter = filter;
    socket.data.matcher = matcher;
    reply(filter);
    const gen = ++socket.data.replayGen;
    if (since === undefined) return ctx.goLive(socket);
    socket.data.live = false;
    ctx.replay(socket, since, matcher, gen).catch((err: unknown) => {
      log.error({ err, token: socket.data.principal.name }, 'Socket.IO replay failed: client disconnected');
      socket.disconnect(true);
    });
  }, {
    onError: onError('subscribe'),
    gate: (reply) => {
      // A burst of requests from a client that does not read is caught here, before it is sent anything more.
      if (overBound(socket, limits)) {
        ctx.drop(socket);
        return true;
      }
      const wait = socket.data.rate.take();
      if (wait === undefined) return false;
      reply({ error: { code: 'rate_limited', message: `at most ${limits.subscribesPerMinute} subscribe requests a minute: try again in ${wait} s` } });
      return true;
    },
  }));

  const watched = (): WatchAck => ({ deviceIds: [...socket.data.watched] });
  socket.on('watch', withAck(watchSchema, ({ deviceIds }, reply: Reply<WatchAck>) => {
    const scope = socket.data.principal.scope;
    // A scoped client watches only devices of its scope; others (and unknown ids) are left out of the answer.
    const fresh = deviceIds.filter((id) => !socket.data.watched.has(id) && (!scope || ctx.isInScope(scope, id)));
    if (socket.data.watched.size + new Set(fresh).size > MAX_WATCHED) {
      return reply({ error: { code: 'too_many_watched', message: `a client may watch at most ${MAX_WATCHED} devices; unwatch some first` } });
    }
    for (const id of fresh) {
      socket.data.watched.add(id);
      void socket.join(room(id));
    }
    reply(watched());
  }, { onError: onError('watch') }));
  socket.on('unwatch', withAck(watchSchema, ({ deviceIds }, reply: Reply<WatchAck>) => {
    for (const id of deviceIds) {
      socket.data.watched.delete(id);
      void socket.leave(room(id));
    }
    reply(watched());
  }, { onError: onError('unwatch') }));
}
