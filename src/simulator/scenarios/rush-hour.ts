import type { ScenarioFile } from '../scenario.js';

/** The morning peak, with a quarter of the arterial loops jammed. */
export const rushHour: ScenarioFile = {
  name: 'rush-hour',
  description:
    'From 07:45, the morning peak: traffic everywhere follows the daily cycle to its peak, and from 30 s in a quarter of ' +
    'the traffic loops jam (occupancy near 90 %, so speed falls below 10 km/h) for 25 minutes; the noise meters on ' +
    'those roads pass 85 dB; buses run late; car parks fill; NO2 rises.',
  clock: '07:45',
  expectedAlerts: [
    { rule: 'traffic congestion', severity: 'info', devices: 'the jammed traffic loops (a quarter of them)', when: 'about 5.5 min in (speed < 10 for 5 min)' },
    { rule: 'noise', severity: 'warning', devices: 'a third of the noise meters', when: 'about 11 min in (level > 85 for 10 min)' },
  ],
  events: [
    {
      name: 'jam', at: '30s', duration: '25m', ramp: '1m', select: { type: 'traffic', fraction: 0.25 },
      effects: [{ metric: 'occupancy', set: 90, jitter: 1.5 }],
    },
    {
      name: 'loud roads', at: '30s', duration: '25m', ramp: '1m', select: { type: 'noise', fraction: 0.34 },
      effects: [{ metric: 'level', set: 90, jitter: 1.5 }],
    },
    {
      name: 'peak load', at: '0', duration: '30m', ramp: '2m', select: { type: ['bus', 'parking', 'air'] },
      effects: [{ metric: 'delay', add: 420 }, { metric: 'occupancy', type: 'parking', add: 20 }, { metric: 'no2', multiply: 1.6 }],
    },
  ],
};
