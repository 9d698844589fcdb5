import type { ScenarioFile } from '../scenario.js';

/** A building fire in Jinfeng. */
export const fire: ScenarioFile = {
  name: 'fire',
  description:
    'From 20 s in, for 10 minutes, a fire near the centre of Jinfeng: the three nearest smoke detectors fill with smoke ' +
    '(obscuration about 30 %/m, 75 °C), the two nearest air stations read heavy fine dust, and the two nearest ambulances drive there.',
  clock: '15:00',
  expectedAlerts: [
    { rule: 'smoke', severity: 'critical', devices: 'the 3 smoke detectors nearest Jinfeng centre', when: 'about 22 s in (obscuration > 10)' },
    { rule: 'fine dust', severity: 'warning', devices: 'the 2 air stations nearest Jinfeng centre', when: 'about 10.5 min in (pm25 > 75 for 10 min), if the run lasts' },
  ],
  events: [
    {
      name: 'smoke', at: '20s', duration: '10m', ramp: '10s', select: { type: 'smoke', near: 'Jinfeng', count: 3 },
      effects: [{ metric: 'obscuration', set: 30, jitter: 4 }, { metric: 'temp', type: 'smoke', set: 75, jitter: 6 }],
    },
    {
      name: 'plume', at: '30s', duration: '11m', ramp: '30s', select: { type: 'air', near: 'Jinfeng', count: 2 },
      effects: [{ metric: 'pm25', set: 260, jitter: 25 }, { metric: 'pm10', set: 420, jitter: 40 }],
    },
    { name: 'response', at: '40s', duration: '10m', select: { type: 'ambulance', near: 'Jinfeng', count: 2 }, goto: 'Jinfeng' },
  ],
};
