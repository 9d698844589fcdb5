import type { ScenarioFile } from '../scenario.js';

/** The river rises in Yongning. */
export const flood: ScenarioFile = {
  name: 'flood',
  description:
    'From 30 s in, the four gauges nearest Yongning centre rise over 8 minutes to about 290 cm and stay for 30 minutes, ' +
    'then fall; the three nearest traffic loops slow to 40 % of their speed.',
  clock: '10:00',
  expectedAlerts: [
    { rule: 'flood warning', severity: 'warning', devices: 'the 4 gauges nearest Yongning centre', when: 'about 5 min in (water_level > 150 for 1 min)' },
    { rule: 'flood critical', severity: 'critical', devices: 'the same gauges', when: 'about 8.5 min in (water_level > 250 for 1 min)' },
  ],
  events: [
    {
      name: 'rising river', at: '30s', duration: '38m', ramp: '8m', select: { type: 'flood', near: 'Yongning', count: 4 },
      effects: [{ metric: 'water_level', set: 292, jitter: 4 }],
    },
    {
      name: 'flooded roads', at: '4m', duration: '30m', ramp: '2m', select: { type: 'traffic', near: 'Yongning', count: 3 },
      effects: [{ metric: 'speed', type: 'traffic', multiply: 0.4 }],
    },
  ],
};
