import type { ScenarioFile } from '../scenario.js';

/** Devices go quiet, then come back. */
export const dropouts: ScenarioFile = {
  name: 'dropouts',
  description:
    'From 10 s in, for 2 minutes, half the wearables and ambulances lose coverage (their connections drop; the broker ' +
    'publishes their offline will) and then reconnect; from 20 s in, for 4 minutes, a quarter of the fridges, gauges, ' +
    'bridge monitors and smoke detectors go silent behind a live connection (a dead sensor on a working gateway), then report again.',
  clock: '12:00',
  expectedAlerts: [
    {
      rule: 'device stale', severity: 'warning', devices: 'every device that drops out',
      when: 'once quiet for 3 of its catalog intervals (15 s for an ambulance, 30 s for a wearable, 90–180 s for the others); resolves when it reports again',
    },
  ],
  events: [
    {
      name: 'no coverage', at: '10s', duration: '2m', select: { type: ['wearable', 'ambulance'], fraction: 0.5 },
      fault: { kind: 'dropout', disconnect: true },
    },
    {
      name: 'dead sensors', at: '20s', duration: '4m', select: { type: ['cold_chain', 'flood', 'structure', 'smoke'], fraction: 0.25 },
      fault: { kind: 'dropout' },
    },
  ],
};
