import type { ScenarioFile } from '../scenario.js';

/** A gas main breaks in Xixia. */
export const gasLeak: ScenarioFile = {
  name: 'gas-leak',
  description:
    'From 10 s in, for 3 minutes, a gas main leaks near the centre of Xixia: the three nearest gas detectors read CO ' +
    'rising over 10 s to about 320 ppm and methane to about 35 %LEL, then fall back as the leak is shut.',
  clock: '11:00',
  expectedAlerts: [
    { rule: 'carbon monoxide', severity: 'critical', devices: 'the 3 gas detectors nearest Xixia centre (all of them if fewer)', when: 'about 11.5 s in (co > 50, no delay); each resolves when co < 35 after the leak' },
    { rule: 'methane warning', severity: 'warning', devices: 'the same detectors', when: 'about 13 s in (ch4 > 10 %LEL, no delay); each resolves when ch4 < 8 after the leak' },
    { rule: 'methane critical', severity: 'critical', devices: 'the same detectors', when: 'about 16 s in (ch4 > 20 %LEL, no delay); each resolves when ch4 < 15 after the leak' },
  ],
  events: [
    {
      name: 'leak', at: '10s', duration: '3m', ramp: '10s', select: { type: 'gas', near: 'Xixia', count: 3 },
      effects: [{ metric: 'co', set: 320, jitter: 25 }, { metric: 'ch4', set: 35, jitter: 4 }],
    },
  ],
};
