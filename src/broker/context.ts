import type { Duplex } from 'node:stream';
import type { Aedes, Client } from 'aedes';
import type { AuthFailure, Logger, RefusalReason, RefusedMessage } from '../core/index.js';
import { createAcl, type Acl, type Identity } from './acl.js';
import type { ConnectAttempt } from './auth.js';
import { ClientIdOwners } from './client-ids.js';
import { createBrokerMetrics, type BrokerMetrics } from './metrics.js';
import type { Presence } from './presence.js';
import type { InboundQos2 } from './qos2.js';
import type { InflightWindows } from './inflight-window.js';
import { DEFAULT_SESSION_LIMITS, describeDrop, type DropReason, type SessionBounds, type SessionLimits } from './session-bounds.js';
import type { BrokerDeps, BrokerOptions } from './types.js';

/** What preConnect saw of a CONNECT, for authenticate (aedes hands it only the client). */
export interface PendingConnect {
  emptyClientId: boolean;
  will?: ConnectAttempt['will'];
  keepalive: number;
}

/** What the broker's parts (connect, publish, subscribe, status, events, accept) share; built once per broker. */
export interface BrokerContext {
  deps: BrokerDeps;
  options: BrokerOptions;
  log: Logger;
  metrics: BrokerMetrics;
  acl: Acl;
  identities: WeakMap<Client, Identity>;
  pending: WeakMap<Client, PendingConnect>;
  /** Each client's address, and the transport under its size guard (what a keep-alive 0 connection's idle watch hears). */
  conns: WeakMap<Client, { remote?: string; raw: Duplex }>;
  keepaliveRefused: WeakSet<Client>;
  owners: ClientIdOwners;
  limits: SessionLimits;
  /** Set by createBroker once aedes exists; no hook runs before. */
  aedes: Aedes;
  bounds: SessionBounds;
  /** The in-flight window of each connection (inflight-window.ts). */
  windows: InflightWindows;
  qos2: InboundQos2;
  presence: Presence;
  /** Reports a refused publish; a failing handler is logged, never thrown into aedes. */
  refuse(msg: RefusedMessage, reason: RefusalReason, detail: string): void;
  reportAuthFailure(failure: AuthFailure): void;
  /** Counts messages dropped by a session bound; the first of an episode is logged, naming the client id. */
  dropped(clientId: string, reason: DropReason, count: number, first: boolean): void;
}

/** The shared state; `aedes`, `bounds`, `windows`, `qos2` and `presence` are filled in by createBroker. */
export function createContext(deps: BrokerDeps): BrokerContext {
  const { handler, options } = deps;
  const log = deps.log.child({ component: 'broker' });
  const metrics = createBrokerMetrics(deps.metrics);
  const limits = { ...DEFAULT_SESSION_LIMITS, ...options.sessionLimits };
  const late = undefined as never;
  return {
    deps, options, log, metrics, limits,
    acl: createAcl(deps.catalog, deps.registry),
    identities: new WeakMap(),
    pending: new WeakMap(),
    conns: new WeakMap(),
    keepaliveRefused: new WeakSet(),
    owners: new ClientIdOwners(),
    aedes: late, bounds: late, windows: late, qos2: late, presence: late,
    refuse(msg, reason, detail) {
      try {
        handler.refuse(msg, reason, detail);
      } catch (err) {
        log.error({ err }, 'refusal handler failed');
      }
    },
    reportAuthFailure(failure) {
      try { deps.onAuthFailure?.(failure); } catch (err) { log.error({ err }, 'authentication failure listener failed'); }
    },
    dropped(clientId, reason, count, first) {
      metrics.dropped.inc({ reason }, count);
      if (first) log.info({ clientId, reason }, `MQTT client id ${clientId}: ${describeDrop(reason, count, limits)}`);
    },
  };
}
