import { hashSecret, newSecret, verifySecret } from '../core/index.js';
import type { DeviceRegistry } from '../storage/index.js';
import { deviceIdentity, type Acl, type Identity } from './acl.js';
import { VerifiedLogins } from './verified-logins.js';

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

/** Failed logins allowed per address in a minute before that address's unverified logins are refused unchecked. */
export const LOGIN_FAILURES_PER_MINUTE = 30;
const WINDOW_MS = 60_000;

/**
 * Why: each login not remembered as verified costs a scrypt check (tens of ms on a small thread pool), so a flood
 * of wrong passwords from one address, needing no credentials at all, held up every other device's login. Past
 * the limit, that address's logins that would need scrypt are refused at once (CONNACK 3, try again later) for
 * the rest of the minute; devices whose login is remembered still get in.
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

/** Checks client ids, device credentials (scrypt, constant time; recent logins remembered) and the will topic of a CONNECT. */
export function createAuthenticator(
  registry: Pick<DeviceRegistry, 'get' | 'secretHash'>,
  acl: Acl,
  allowAnonymous: boolean,
  verified: VerifiedLogins = new VerifiedLogins(),
  throttle: LoginThrottle = new LoginThrottle(),
): Authenticator {
  // Unknown devices are checked against a throwaway hash too, so the answer takes as long as for a known
  // device with a wrong secret: response time does not tell which device ids exist.
  let dummyHash: Promise<string> | undefined;

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
      let good = device !== undefined && stored !== undefined && verified.has(device.id, stored, a.password);
      if (!good && throttle.lockedOut(a.remote)) {
        return { ok: false, code: CONNACK.serverUnavailable, why: 'too many failed logins from this address: try again in a minute', throttled: true, failure: 'rate_limited' };
      }
      if (!good) {
        good = await verifySecret(a.password.toString('utf8'), stored ?? (await (dummyHash ??= hashSecret(newSecret()))));
        if (good && device && stored) verified.add(device.id, stored, a.password);
      }
      if (!device || !stored || !good) {
        const lockout = throttle.failed(a.remote);
        return { ok: false, code: CONNACK.badCredentials, why: device ? 'wrong secret' : 'unknown device', failure: device ? 'wrong_secret' : 'unknown_device', lockout };
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
