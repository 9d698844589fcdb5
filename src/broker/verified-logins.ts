import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Logins verified recently, so that a device reconnecting (a network blip, a city-wide reconnect storm) does not
 * cost another scrypt verification (~30 ms of CPU each: 10,000 devices coming back would take minutes).
 *
 * An entry is valid only for the device's stored secret hash it was checked against: a rotated secret (new hash)
 * or a deleted device (no hash) is never answered from here. The password is kept only as an HMAC under a key
 * that lives in this process's memory, compared in constant time; entries expire and the oldest go first.
 */
export class VerifiedLogins {
  private readonly key = randomBytes(32);
  private readonly entries = new Map<string, { storedHash: string; digest: Buffer; at: number }>();

  constructor(
    private readonly max = 20_000,
    private readonly ttlMs = 3_600_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** True when `deviceId` logged in with this password, against this stored hash, within the TTL. */
  has(deviceId: string, storedHash: string, password: Buffer): boolean {
    const e = this.entries.get(deviceId);
    if (!e) return false;
    if (e.storedHash !== storedHash || this.now() - e.at > this.ttlMs) {
      this.entries.delete(deviceId);
      return false;
    }
    return timingSafeEqual(e.digest, this.digest(password));
  }

  /** Remembers a login that scrypt has just verified. */
  add(deviceId: string, storedHash: string, password: Buffer): void {
    this.entries.delete(deviceId); // re-inserted last: Map order is then oldest first
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(deviceId, { storedHash, digest: this.digest(password), at: this.now() });
  }

  get size(): number {
    return this.entries.size;
  }

  private digest(password: Buffer): Buffer {
    return createHmac('sha256', this.key).update(password).digest();
  }
}
