import { newSecret, type DeviceSecrets, type Logger } from '../core/index.js';
import type { DeviceRegistry } from '../storage/index.js';
import { deviceIdentity, type Acl, type Identity } from './acl.js';

/** CONNACK return codes of MQTT 3.1.1 (aedes' AuthErrorCode is a const enum that isolatedModules rejects). */
export const CONNACK = { identifierRejected: 2, serverUnavailable: 3, badCredentials: 4, notAuthorized: 5 } as const;
export type RefusalCode = (typeof CONNACK)[keyof typeof CONNACK];

export const MAX_CLIENT_ID = 64;
const BAD_CLIENT_ID = /[+#/]/;

/** What a CONNECT brings that authentication looks at. */
export interface ConnectAttempt {
  clientId: string;
  /** The client sent a zero-length client id (aedes then makes one up). */
  emptyClientId: boolean;
  clean: boolean;
  username?: string;
  password?: Buffer;
  will?: { topic: string; payload: Buffer | string };
  /** The client's address, for the failed-login throttle. */
  remote?: string;
}

/** Failed logins allowed per address in a minute before that address's slow (scrypt) logins are refused unchecked. */
export const LOGIN_FAILURES_PER_MINUTE = 30;
const WINDOW_MS = 60_000;

/**
 * Why: a login against a device whose secret is still an scrypt hash of an earlier version costs tens of ms on a
 * small thread pool, so a flood of wrong passwords for such devices from one address held up every other device's
 * login. Past the limit, that address's logins that would need scrypt are refused at once (CONNACK 3, try again
 * later) for the rest of the minute, and so is every failed one; logins against keyed hashes (microseconds) are
 * still checked, and the good ones get in (devices behind a shared address are not locked out by one bad one).
 */
export class LoginThrottle {
  private readonly failures = new Map<string, { since: number; count: number }>();

  constructor(private readonly limit = LOGIN_FAILURES_PER_MINUTE, private readonly now: () => number = Date.now) {}

  lockedOut(remote: string | undefined): boolean {
    const f = remote === undefined ? undefined : this.failures.get(remote);
    return f !== undefined && this.now() - f.since < WINDOW_MS && f.count >= this.limit;
  }

  /** Counts a failure; true when it is the one that locks the address out. */
  failed(remote: string | undefined): boolean {
    if (remote === undefined) return false;
    const t = this.now();
    if (this.failures.size >= 10_000) for (const [k, f] of this.failures) if (t - f.since >= WINDOW_MS) this.failures.delete(k);
    let f = this.failures.get(remote);
    if (!f || t - f.since >= WINDOW_MS) this.failures.set(remote, (f = { since: t, count: 1 }));
    else f.count++;
    return f.count === this.limit;
  }
}

/** Why a login's credentials were refused (the `reason` of an MQTT AuthFailure). */
export type CredentialFailure = 'no_credentials' | 'unknown_device' | 'wrong_secret' | 'rate_limited';

export type AuthResult =
  | { ok: true; identity: Identity }
  | { ok: false; code: RefusalCode; why: string; throttled?: true; failure?: CredentialFailure; lockout?: boolean };

export interface Authenticator {
  authenticate(attempt: ConnectAttempt): Promise<AuthResult>;
}

export interface AuthenticatorDeps {
  registry: Pick<DeviceRegistry, 'get' | 'secretHash' | 'replaceSecretHash'>;
  secrets: DeviceSecrets;
  acl: Acl;
  allowAnonymous: boolean;
  throttle?: LoginThrottle;
  log?: Logger;
}

const THROTTLED = { ok: false, code: CONNACK.serverUnavailable, why: 'too many failed logins from this address: try again in a minute', throttled: true, failure: 'rate_limited' } as const;

/** Checks client ids, device credentials (keyed hash or, for older devices, scrypt; constant time) and the will topic of a CONNECT. */
export function createAuthenticator(deps: AuthenticatorDeps): Authenticator {
  const { registry, secrets, acl, allowAnonymous, throttle = new LoginThrottle(), log } = deps;
  // Unknown devices are checked against a throwaway hash too, so the answer takes as long as for a known
  // device with a wrong secret: response time does not tell which device ids exist.
  let dummyHash: string | undefined;

  /**
   * A good login against an scrypt hash stores its keyed hash instead. False when the hash changed during the
   * (slow) check: the secret was rotated or the device deleted meanwhile, so the secret just checked is revoked.
   */
  function upgrade(deviceId: string, stored: string, keyed: string): boolean {
    try {
      if (!registry.replaceSecretHash(deviceId, stored, keyed)) return false;
      log?.debug({ deviceId }, 'device secret hash upgraded from scrypt to the keyed hash');
    } catch (err) {
      log?.warn({ err, deviceId }, 'could not upgrade the device secret hash from scrypt (tried again at its next login)');
    }
    return true;
  }

  async function authenticate(a: ConnectAttempt): Promise<AuthResult> {
    // [MQTT-3.1.3-8]: a zero-length client id needs a clean session; aedes would invent an id instead.
    if (a.emptyClientId && !a.clean) return { ok: false, code: CONNACK.identifierRejected, why: 'zero-length client id without clean session' };
    if (a.clientId.length > MAX_CLIENT_ID) return { ok: false, code: CONNACK.identifierRejected, why: `client id longer than ${MAX_CLIENT_ID}` };
    if (BAD_CLIENT_ID.test(a.clientId)) return { ok: false, code: CONNACK.identifierRejected, why: 'client id contains + # or /' };

    let identity: Identity;
    if (a.username === undefined || a.password === undefined) {
      if (!allowAnonymous) return { ok: false, code: CONNACK.notAuthorized, why: 'no credentials', failure: 'no_credentials' };
      identity = { kind: 'anonymous' };
    } else {
      const device = registry.get(a.username);
      const stored = device ? registry.secretHash(a.username) : undefined;
      const lockedOut = throttle.lockedOut(a.remote);
      if (lockedOut && (stored === undefined || secrets.isSlow(stored))) return THROTTLED;
      const check = await secrets.verify(a.password, stored ?? (dummyHash ??= secrets.hash(newSecret())));
      if (!device || stored === undefined || !check.ok) {
        const lockout = throttle.failed(a.remote);
        return lockedOut ? THROTTLED : { ok: false, code: CONNACK.badCredentials, why: device ? 'wrong secret' : 'unknown device', failure: device ? 'wrong_secret' : 'unknown_device', lockout };
      }
      if (check.upgrade && !upgrade(device.id, stored, check.upgrade)) {
        return { ok: false, code: CONNACK.badCredentials, why: 'secret rotated or device deleted during the check', failure: 'wrong_secret' };
      }
      identity = deviceIdentity(device.id, device.domain, device.type);
    }

    // A will is a publish made later on the client's behalf: refuse at CONNECT what the ACL would refuse then.
    if (a.will) {
      const verdict = acl.classifyPublish(identity, a.will.topic, a.will.payload);
      if (verdict.kind === 'refused') return { ok: false, code: CONNACK.notAuthorized, why: `will refused: ${verdict.detail}` };
    }
    return { ok: true, identity };
  }

  return { authenticate };
}
