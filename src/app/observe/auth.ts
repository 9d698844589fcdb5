import { Counter, type Registry } from 'prom-client';
import type { AuthFailureListener, Logger } from '../../core/index.js';

const WINDOW_MS = 60_000;
const MAX_ADDRESSES = 10_000;

/**
 * Logs and counts failed authentications as the broker and the API report them at their doors. Every failure is
 * counted; at info an operator sees each lockout, and the first REST or Socket.IO failure of an address in a
 * minute (the rest at debug), so a flood of bad tokens is a few lines, not one per attempt. MQTT refusals are
 * logged by the broker itself, so only their lockouts are logged here.
 */
export function observeAuthFailures(log: Logger, registry: Registry): AuthFailureListener {
  const failures = new Counter({
    name: 'citysense_auth_failures_total',
    help: 'Failed authentications by transport (mqtt, rest, socketio) and reason (rate_limited: refused while the address is locked out)',
    labelNames: ['transport', 'reason'] as const,
    registers: [registry],
  });
  const lockouts = new Counter({
    name: 'citysense_auth_lockouts_total',
    help: 'Addresses locked out for the rest of a minute after too many failed authentications, by transport',
    labelNames: ['transport'] as const,
    registers: [registry],
  });
  /** When each address's failure was last logged at info. */
  const logged = new Map<string, number>();

  return (f) => {
    failures.inc({ transport: f.transport, reason: f.reason });
    const fields = { transport: f.transport, address: f.address, reason: f.reason, who: f.who };
    if (f.lockout) {
      lockouts.inc({ transport: f.transport });
      const effect = f.transport === 'mqtt'
        ? 'its logins not verified in the last hour are refused (CONNACK 3)'
        : 'its requests and handshakes without a valid token are refused (429, rate_limited)';
      log.info({ ...fields, effect }, 'address locked out for the rest of the minute: too many failed authentications');
      return;
    }
    if (f.transport === 'mqtt' || f.reason === 'rate_limited') return void log.debug(fields, 'authentication failed');
    const t = Date.now();
    const key = `${f.transport} ${f.address ?? ''}`;
    const last = logged.get(key);
    if (last !== undefined && t - last < WINDOW_MS) return void log.debug(fields, 'authentication failed');
    if (logged.size >= MAX_ADDRESSES) for (const [k, at] of logged) if (t - at >= WINDOW_MS) logged.delete(k);
    // Failures from very many addresses at once: counted, and logged at debug rather than remembered without bound.
    if (logged.size >= MAX_ADDRESSES) return void log.debug(fields, 'authentication failed');
    logged.set(key, t);
    log.info(fields, 'authentication failed (more from this address in the next minute are logged at debug only)');
  };
}
