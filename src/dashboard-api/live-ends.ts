import type { Logger } from '../core/index.js';
import { revocationKeys, type Authenticate, type Principal } from './auth.js';

/** What ending a connection needs of a Socket.IO socket. */
interface Ended {
  data: { principal: Principal };
  disconnect(close: boolean): unknown;
}

/**
 * The handshake is the only credential check of a Socket.IO connection, so connections whose credentials end are
 * ended here, or they would live on: a revoked token's, a disabled or deleted user's, a signed-out session's (at
 * once, through `onRevoke`), and a session's that idled out (swept a few times per idle period; an open console
 * keeps its session alive, since it polls the REST API). Returns the function that stops it.
 */
export function endConnections(sockets: () => Iterable<Ended>, authenticate: Authenticate, log: Logger): () => void {
  const stopRevocations = authenticate.onRevoke((key) => {
    let ended = 0;
    for (const socket of sockets()) {
      if (!revocationKeys(socket.data.principal).includes(key)) continue;
      // A disconnect packet first ("io server disconnect": clients do not retry on their own), then the transport closes.
      socket.disconnect(true);
      ended++;
    }
    if (ended === 0) return;
    if (/^(user|session):/.test(key)) log.info({ revoked: key, connections: ended }, 'sessions ended: their Socket.IO connections ended');
    else log.info({ tokenId: key, connections: ended }, 'token revoked: its Socket.IO connections ended');
  });

  const { sessions } = authenticate;
  const sweep = sessions && setInterval(() => {
    for (const socket of sockets()) {
      const user = socket.data.principal?.user;
      if (user && !sessions.alive(user.sessionId)) {
        socket.disconnect(true);
        log.info({ userId: user.id }, 'session idle: its Socket.IO connection ended');
      }
    }
  }, Math.min(10_000, Math.max(500, Math.floor(sessions.idleMs / 3))));
  sweep?.unref();

  return () => {
    stopRevocations();
    clearInterval(sweep);
  };
}
