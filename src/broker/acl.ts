import { DEVICE_ID, type Catalog, type RefusalReason } from '../core/index.js';
import type { DeviceRegistry } from '../storage/index.js';

/** docs/contract.md section 2: 1–64 of A-Z a-z 0-9 _ . - */

/** A connection that logged in with a registered device's credentials. */
export interface DeviceIdentity {
  kind: 'device';
  deviceId: string;
  domain: string;
  type: string;
  /** `city/{domain}/{type}/{deviceId}`, precomputed: the per-message check is one string comparison. */
  telemetryTopic: string;
  statusTopic: string;
}

/** Who a connection is: a device (from its credentials) or, with anonymous access, nobody in particular. */
export type Identity = DeviceIdentity | { kind: 'anonymous' };

/** The device identity for a registered device. */
export function deviceIdentity(deviceId: string, domain: string, type: string): DeviceIdentity {
  const telemetryTopic = `city/${domain}/${type}/${deviceId}`;
  return { kind: 'device', deviceId, domain, type, telemetryTopic, statusTopic: `${telemetryTopic}/status` };
}

export type PublishVerdict =
  | { kind: 'telemetry'; deviceId: string; domain: string; type: string }
  | { kind: 'status'; deviceId: string }
  | { kind: 'refused'; reason: RefusalReason; detail: string };

const ONLINE = Buffer.from('online');
const OFFLINE = Buffer.from('offline');

export interface Acl {
  /** What a publish on `topic` by `identity` (undefined: an orphan will with no client) is, or why it is refused. */
  classifyPublish(identity: Identity | undefined, topic: string, payload: Buffer | string): PublishVerdict;
  /** Whether `identity` may subscribe to `filter` (only the device's own topics). */
  allowSubscribe(identity: Identity | undefined, filter: string): boolean;
}

const OWN_SUBTOPICS = new Set(['status', '#', '+']);

/** The per-device topic ACL of docs/contract.md section 2. */
export function createAcl(catalog: Catalog, registry: Pick<DeviceRegistry, 'get'>): Acl {
  // An anonymous publisher is whoever the topic names: the topic must be a device topic of a catalog type,
  // and agree with the registry when that device is registered.
  function deviceFromTopic(levels: readonly string[]): DeviceIdentity | string {
    const [, domain, type, deviceId] = levels;
    if (!DEVICE_ID.test(deviceId)) return `${JSON.stringify(deviceId)} is not a device id`;
    if (!catalog.get(domain, type)) return `${domain}/${type} is not in the catalog`;
    const registered = registry.get(deviceId);
    if (registered && (registered.domain !== domain || registered.type !== type)) {
      return `${deviceId} is registered as ${registered.domain}/${registered.type}`;
    }
    return deviceIdentity(deviceId, domain, type);
  }

  function status(deviceId: string, payload: Buffer | string): PublishVerdict {
    const buf = typeof payload === 'string' ? Buffer.from(payload) : payload;
    if (buf.equals(ONLINE) || buf.equals(OFFLINE)) return { kind: 'status', deviceId };
    return { kind: 'refused', reason: 'malformed_payload', detail: 'a status payload must be "online" or "offline"' };
  }

  function classifyPublish(identity: Identity | undefined, topic: string, payload: Buffer | string): PublishVerdict {
    if (identity?.kind === 'device') {
      if (topic === identity.telemetryTopic) {
        return { kind: 'telemetry', deviceId: identity.deviceId, domain: identity.domain, type: identity.type };
      }
      if (topic === identity.statusTopic) return status(identity.deviceId, payload);
      return { kind: 'refused', reason: 'not_authorized', detail: `${identity.deviceId} may publish only to ${identity.telemetryTopic} and its /status` };
    }
    const levels = topic.split('/');
    const isStatus = levels.length === 5 && levels[4] === 'status';
    if (levels[0] !== 'city' || (levels.length !== 4 && !isStatus)) {
      return { kind: 'refused', reason: 'not_authorized', detail: `${topic} is not a device topic` };
    }
    const device = deviceFromTopic(levels);
    if (typeof device === 'string') return { kind: 'refused', reason: 'not_authorized', detail: device };
    return isStatus ? status(device.deviceId, payload) : { kind: 'telemetry', deviceId: device.deviceId, domain: device.domain, type: device.type };
  }

  // A filter is the device's own when its first four levels are literally city/{domain}/{type}/{id}:
  // whatever follows (`/status`, `/#`, `/+`) can then only match that device's topics.
  function allowSubscribe(identity: Identity | undefined, filter: string): boolean {
    const levels = filter.split('/');
    if (levels.length < 4 || levels[0] !== 'city') return false;
    // Only what the device's two topics can carry: the topic itself, `status`, or a wildcard for both. Deeper
    // filters match nothing anyone may publish, and each would cost session memory (aedes keeps it all).
    const rest = levels.slice(4);
    if (rest.length > 1 || (rest.length === 1 && !OWN_SUBTOPICS.has(rest[0]!))) return false;
    if (identity?.kind === 'device') {
      return levels[1] === identity.domain && levels[2] === identity.type && levels[3] === identity.deviceId;
    }
    if (identity?.kind !== 'anonymous') return false;
    if (levels.slice(1, 4).some((l) => l === '+' || l === '#')) return false;
    return typeof deviceFromTopic(levels) !== 'string';
  }

  return { classifyPublish, allowSubscribe };
}
