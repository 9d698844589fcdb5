import type { Scope } from '../storage/index.js';
import type { Stats } from './schemas/index.js';
import { inScope, type Scoped } from './scope.js';

/** What a scoped caller's stats are computed from. */
export interface StatsScoping {
  activeAlerts(): Scoped[];
  /** Registered devices, listed by domain or district. */
  devices: { get(id: string): Scoped | undefined; list(filter?: { domain?: string; district?: string }): (Scoped & { id: string })[] };
  isOnline(deviceId: string): boolean;
}

/** The registered devices a scope holds: listed by its domains (else its districts), then checked against both. */
function devicesOf(scope: Scope, devices: StatsScoping['devices']): (Scoped & { id: string })[] {
  const lists = scope.domains
    ? scope.domains.map((domain) => devices.list({ domain }))
    : scope.districts
      ? scope.districts.map((district) => devices.list({ district }))
      : [devices.list()];
  return lists.flat().filter((d) => inScope(scope, d));
}

/**
 * A scoped caller's stats answer only what its scope holds: its connected devices and its active alerts. The
 * readings counters and the spool are the whole platform's, not counted per device, so they are left out; the
 * store's kind and health (whether its readings are being stored) stay.
 */
export function scopedStats(all: Stats, scope: Scope, scoping: StatsScoping): Stats {
  const { readings: _readings, spool: _spool, ...rest } = all;
  return {
    ...rest,
    connectedDevices: devicesOf(scope, scoping.devices).filter((d) => scoping.isOnline(d.id)).length,
    activeAlerts: scoping.activeAlerts().filter((a) => inScope(scope, a)).length,
  };
}
