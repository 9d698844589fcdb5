import type { ScenarioFile } from '../scenario.js';

/** A crowd crush in Xingqing. */
export const massCasualty: ScenarioFile = {
  name: 'mass-casualty',
  description:
    'From 20 s in, for 15 minutes, a crowd crush near the centre of Xingqing: the eight nearest wearables read heart ' +
    'rates near 145 and SpO2 near 86 %; the five nearest ambulances drive there; traffic around jams.',
  clock: '19:00',
  expectedAlerts: [
    { rule: 'wearable spo2 low', severity: 'critical', devices: 'the 8 wearables nearest Xingqing centre', when: 'about 45 s in (spo2 < 90 for 15 s)' },
    { rule: 'wearable heart_rate high', severity: 'critical', devices: 'the same wearables', when: 'about 1 min in (heart_rate > 130 for 30 s)' },
  ],
  events: [
    {
      name: 'casualties', at: '20s', duration: '15m', ramp: '10s', select: { type: 'wearable', near: 'Xingqing', count: 8 },
      effects: [{ metric: 'heart_rate', set: 145, jitter: 6 }, { metric: 'spo2', set: 86, jitter: 1.5 }],
    },
    { name: 'ambulances', at: '30s', duration: '15m', select: { type: 'ambulance', near: 'Xingqing', count: 5 }, goto: 'Xingqing' },
    {
      name: 'blocked roads', at: '1m', duration: '15m', ramp: '1m', select: { type: 'traffic', near: 'Xingqing', count: 4 },
      effects: [{ metric: 'occupancy', set: 70, jitter: 5 }],
    },
  ],
};
