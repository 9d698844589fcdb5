import type { AedesOptions, AuthenticateError, Client } from 'aedes';
import type { Identity } from './acl.js';
import { CONNACK, createAuthenticator, type ConnectAttempt, type RefusalCode } from './auth.js';
import { holderOf, MAX_CLIENT_IDS_PER_DEVICE } from './client-ids.js';
import type { BrokerContext } from './context.js';
import { watchIdle } from './idle.js';
import { connectViolation } from './protocol.js';

type PreConnect = NonNullable<AedesOptions['preConnect']>;
type Authenticate = NonNullable<AedesOptions['authenticate']>;

/** aedes' preConnect and authenticate hooks: protocol checks, credentials, keep-alive bound, client-id ownership. */
export function connectHooks(ctx: BrokerContext): { preConnect: PreConnect; authenticate: Authenticate } {
  const { deps, options, log, conns, pending, identities, keepaliveRefused, owners } = ctx;
  const auth = createAuthenticator({ registry: deps.registry, secrets: deps.secrets, acl: ctx.acl, allowAnonymous: options.allowAnonymous, log });

  const preConnect: PreConnect = (client, packet, callback) => {
    const bad = connectViolation(packet);
    if (bad) {
      log.info({ remote: conns.get(client)?.remote, field: bad }, `MQTT connect refused: the ${bad} is not valid UTF-8 or holds U+0000 (MQTT-1.5.3): connection closed`);
      return callback(new Error(`${bad} is not valid UTF-8 or holds U+0000`), false);
    }
    pending.set(client, { emptyClientId: !packet.clientId, will: packet.will ?? undefined, keepalive: packet.keepalive ?? 0 });
    callback(null, true);
  };

  const authenticate: Authenticate = (client, username, password, callback) => {
    const p = pending.get(client);
    pending.delete(client);
    const attempt: ConnectAttempt = {
      clientId: client.id, emptyClientId: p?.emptyClientId ?? false, clean: client.clean, username, password, will: p?.will,
      remote: conns.get(client)?.remote,
    };
    const refuseConnect = (code: RefusalCode, why: string) => callback(Object.assign(new Error(why), { returnCode: code }) as AuthenticateError, null);
    const keepalive = p?.keepalive ?? 0;
    if (keepalive > options.keepaliveLimitS) {
      keepaliveRefused.add(client); // CONNACK 2 as Mosquitto answers it: 3.1.1 has no code for this (never one outside 0-5)
      log.info({ clientId: client.id, username, keepalive, keepaliveLimitS: options.keepaliveLimitS, code: CONNACK.identifierRejected }, 'MQTT connect refused: keep-alive over MQTT_KEEPALIVE_LIMIT');
      return refuseConnect(CONNACK.identifierRejected, `keep-alive ${keepalive} s is over the limit of ${options.keepaliveLimitS} s`);
    }
    auth.authenticate(attempt).then(
      (r) => {
        if (!r.ok) {
          if (r.failure) ctx.reportAuthFailure({ transport: 'mqtt', reason: r.failure, address: attempt.remote, lockout: r.lockout ?? false, who: username });
          // A throttled flood is one line per attempt at debug: the throttle itself is what an operator sees.
          if (r.throttled) log.debug({ clientId: client.id, username, remote: attempt.remote, code: r.code }, 'MQTT connect refused: too many failed logins from this address');
          else log.info({ clientId: client.id, username, code: r.code, why: r.why }, 'MQTT connect refused');
          return refuseConnect(r.code, r.why);
        }
        // Checked here, before aedes registers the client: registering is what takes a live connection over.
        const holder = holderOf(r.identity);
        const heldBy = owners.heldByOther(client.id, holder);
        if (heldBy !== undefined) {
          log.info({ clientId: client.id, identity: holder, heldBy, code: CONNACK.identifierRejected }, 'MQTT connect refused: client id held by another identity');
          return refuseConnect(CONNACK.identifierRejected, 'client id held by another identity');
        }
        if (owners.tooMany(client.id, holder)) {
          log.info({ clientId: client.id, identity: holder, limit: MAX_CLIENT_IDS_PER_DEVICE, code: CONNACK.identifierRejected }, 'MQTT connect refused: the device holds too many client ids (live connections and persistent sessions)');
          return refuseConnect(CONNACK.identifierRejected, 'too many client ids for this device');
        }
        identities.set(client, r.identity);
        ctx.windows.attach(client);
        if (client.clean) ctx.qos2.cleanSession(client.id);
        track(client, r.identity);
        if (keepalive === 0) watchIdle(conns.get(client)?.raw, options.idleTimeoutMs, () => {
          log.debug({ clientId: client.id, idleTimeoutMs: options.idleTimeoutMs }, 'MQTT connection with keep-alive 0 idle past MQTT_IDLE_TIMEOUT: closed');
          client.close();
        });
        callback(null, true);
      },
      (err: unknown) => {
        log.error({ err, clientId: client.id }, 'MQTT authentication failed');
        refuseConnect(CONNACK.serverUnavailable, 'server unavailable');
      },
    );
  };

  /** Counts a connection, and holds its client id, from its authentication until its stream closes. */
  function track(client: Client, identity: Identity): void {
    const { metrics, presence } = ctx;
    const conn = client.conn;
    if (client.closed || conn.destroyed) return;
    metrics.connections.inc();
    const release = owners.claim(client.id, holderOf(identity), client.clean);
    const live = { close: () => client.close() };
    if (identity.kind === 'device') presence.add(identity, live);
    conn.once('close', () => {
      release();
      metrics.connections.dec();
      // aedes sets `_disconnected` on a valid DISCONNECT only, the flag it skips the will by (lib/client.js).
      if (identity.kind === 'device') presence.remove(identity, live, (client as Client & { _disconnected?: boolean })._disconnected === true);
    });
  }

  return { preConnect, authenticate };
}
