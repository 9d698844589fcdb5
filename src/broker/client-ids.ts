import type { Identity } from './acl.js';

/**
 * Why: an MQTT session (subscriptions, queued messages, unreleased QoS 2 ids) belongs to a client id, and
 * [MQTT-3.1.4-2] lets a CONNECT with a live client id take that connection over. Client ids are the device's
 * choice (docs/contract.md section 2), so without an owner another device's valid credentials could resume a
 * session it does not own (sessionPresent, the other device's queued messages) or kick the other device off.
 * A client id therefore belongs to the identity that holds it, through a live connection or a persistent
 * (clean=false) session; the same identity coming back keeps MQTT's takeover and session behaviour.
 */

interface Holder {
  holder: string;
  /** Accepted connections with this client id that have not closed yet (a takeover overlaps two). */
  live: number;
  /** The last accepted connection asked for a persistent session, so aedes may hold one after it closes. */
  persistent: boolean;
}

// Not a valid device id (docs/contract.md section 2), so no device can hold a client id as if it were anonymous.
const ANONYMOUS = '(anonymous)';

/** Who holds a client id: the device id, or `(anonymous)` for any client without credentials. */
export function holderOf(identity: Identity): string {
  return identity.kind === 'device' ? identity.deviceId : ANONYMOUS;
}

/**
 * Client ids one device may hold at once. aedes keeps every persistent session (and its subscriptions and queue)
 * in memory until the device ends it: without a bound, one device's credentials could fill the broker's memory
 * with sessions under ever new ids. A device uses one or two; the bound leaves room for reconnects.
 */
export const MAX_CLIENT_IDS_PER_DEVICE = 16;

/** Which identity holds each client id in use: by a live connection or a session that may outlive it. */
export class ClientIdOwners {
  // Bounded by live connections plus persistent sessions, which aedes keeps in memory as well.
  private readonly owners = new Map<string, Holder>();
  /** Per holder, how many client ids it holds. */
  private readonly held = new Map<string, number>();

  /** True when `holder` (a device) would hold more than MAX_CLIENT_IDS_PER_DEVICE client ids with this new one. */
  tooMany(clientId: string, holder: string): boolean {
    if (holder === ANONYMOUS || this.owners.get(clientId)?.holder === holder) return false;
    return (this.held.get(holder) ?? 0) >= MAX_CLIENT_IDS_PER_DEVICE;
  }

  /** The holder of `clientId` when it is someone other than `holder`. */
  heldByOther(clientId: string, holder: string): string | undefined {
    const owner = this.owners.get(clientId);
    return owner && owner.holder !== holder ? owner.holder : undefined;
  }

  /** Records an accepted connection (after heldByOther found no one else); call the returned function when its stream closes. */
  claim(clientId: string, holder: string, clean: boolean): () => void {
    let owner = this.owners.get(clientId);
    if (!owner) {
      this.owners.set(clientId, (owner = { holder, live: 0, persistent: false }));
      this.held.set(holder, (this.held.get(holder) ?? 0) + 1);
    }
    owner.live++;
    // A clean session discards whatever session the id had ([MQTT-3.1.2-6]); a persistent one keeps it after close.
    owner.persistent = !clean;
    const held = owner;
    return () => {
      held.live--;
      if (held.live === 0 && !held.persistent && this.owners.get(clientId) === held) {
        this.owners.delete(clientId);
        const n = (this.held.get(holder) ?? 1) - 1;
        if (n > 0) this.held.set(holder, n);
        else this.held.delete(holder);
      }
    };
  }
}
