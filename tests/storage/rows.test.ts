// The row→object mappers both SQL adapters share (src/storage/rows.ts): the one difference between the engines,
// `devices.latest` as JSON text (SQLite) or parsed JSONB (PostgreSQL), gives the same device.
import { describe, expect, it } from '@jest/globals';
import { toDevice, toLetter, toSession, type DeviceRow } from '../../src/storage/rows.js';

const latest = { pm25: { v: 12.5, t: 1_700_000_000_000 } };
const row: DeviceRow = {
  id: 'air-001', domain: 'air', type: 'pm', name: 'Plaza', district: 'centro', lat: 40.4, lon: -3.7,
  created_at: 1, last_seen: 2, latest, left_at: null,
};

describe('storage rows', () => {
  it('maps a devices row the same whether latest is JSONB (parsed) or JSON text', () => {
    const expected = {
      id: 'air-001', domain: 'air', type: 'pm', name: 'Plaza', district: 'centro', location: { lat: 40.4, lon: -3.7 },
      createdAt: 1, lastSeen: 2, latest,
    };
    expect(toDevice(row)).toEqual(expected);
    expect(toDevice({ ...row, latest: JSON.stringify(latest) })).toEqual(expected);
  });

  it('leaves out what a devices row holds as null, and keeps a goodbye', () => {
    const d = toDevice({ ...row, name: null, district: null, lat: 1, lon: null, last_seen: null, latest: '{}', left_at: 9 });
    expect(d).toEqual({ id: 'air-001', domain: 'air', type: 'pm', createdAt: 1, latest: {}, leftAt: 9 });
    expect(Object.keys(d)).not.toContain('location');
  });

  it('maps dead letter and session rows', () => {
    expect(toLetter({ id: 3, received_at: 4, device_id: null, topic: 't', reason: 'malformed_json', detail: 'd', payload: 'p' }))
      .toEqual({ id: 3, receivedAt: 4, deviceId: null, topic: 't', reason: 'malformed_json', detail: 'd', payload: 'p' });
    expect(toSession({ id: 's', user_id: 'u', created_at: 5, last_seen_at: 6 })).toEqual({ id: 's', userId: 'u', createdAt: 5, lastSeenAt: 6 });
  });
});
