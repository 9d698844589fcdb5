import type { ScenarioFile } from '../scenario.js';

/** A 41 °C afternoon with a dust haze. */
export const heatwave: ScenarioFile = {
  name: 'heatwave',
  description:
    'From 13:00, the outside temperature climbs 12 °C over 5 minutes (to about 40 °C) and stays there: fridges with ' +
    'poor insulation warm past 8 °C, a tenth of the people wearing wearables run a fever, and dust raises PM2.5 past 75.',
  clock: '13:00',
  expectedAlerts: [
    { rule: 'cold chain out of range', severity: 'warning', devices: 'the leakiest vaccine fridges (a bit under half)', when: 'about 10 min in (temp > 8 for 5 min)' },
    { rule: 'wearable fever', severity: 'warning', devices: 'a tenth of the wearables', when: 'about 3.5 min in (body_temp > 39 for 60 s)' },
    { rule: 'fine dust', severity: 'warning', devices: 'every air station', when: 'about 12 min in (pm25 > 75 for 10 min)' },
  ],
  events: [
    { name: 'heat', at: '0', ramp: '5m', select: {}, effects: [{ metric: 'ambient_temp', add: 12 }] },
    {
      name: 'heatstroke', at: '2m', ramp: '30s', select: { type: 'wearable', fraction: 0.1 },
      effects: [{ metric: 'body_temp', set: 39.6, jitter: 0.15 }, { metric: 'heart_rate', add: 25 }],
    },
    { name: 'dust haze', at: '1m', ramp: '2m', select: { type: 'air' }, effects: [{ metric: 'pm25', add: 70 }, { metric: 'pm10', add: 140 }] },
  ],
};
