import type { ScenarioFile } from '../scenario.js';

const CYCLE = '28m';
const LASTS = '3m';

/** `npm run demo`: a city day at 12× speed with an incident every 4 minutes, in turn. */
export const demo: ScenarioFile = {
  name: 'demo',
  description:
    'A day from 06:00 at 12× speed (a simulated day in 2 hours), with an incident every 4 minutes, each lasting 3: ' +
    'a gas leak in Xixia, a fire in Jinfeng, a flood in Yongning, a crowd crush in Xingqing, a jam in Helan, faulty ' +
    'sensors, and wearables losing coverage; then the cycle repeats every 28 minutes.',
  clock: '06:00',
  timeScale: 12,
  expectedAlerts: [
    { rule: 'carbon monoxide', severity: 'critical', devices: '3 gas detectors nearest Xixia', when: 'at 1 min, then every 28 min' },
    { rule: 'methane warning', severity: 'warning', devices: 'the same gas detectors', when: 'at 1 min, then every 28 min' },
    { rule: 'methane critical', severity: 'critical', devices: 'the same gas detectors', when: 'about 1 min, then every 28 min' },
    { rule: 'smoke', severity: 'critical', devices: '3 smoke detectors nearest Jinfeng', when: 'at 5 min, then every 28 min' },
    { rule: 'flood warning', severity: 'warning', devices: '3 gauges nearest Yongning', when: 'about 10.5 min, then every 28 min' },
    { rule: 'wearable spo2 low', severity: 'critical', devices: '6 wearables nearest Xingqing', when: 'about 13.5 min, then every 28 min' },
    { rule: 'wearable heart_rate high', severity: 'critical', devices: 'the same wearables', when: 'about 14 min, then every 28 min' },
    { rule: 'device stale', severity: 'warning', devices: 'wearables that lose coverage', when: 'about 25.5 min, then every 28 min' },
  ],
  expectedDeadLetters: ['malformed_json', 'out_of_range', 'bad_timestamp'],
  events: [
    {
      name: 'gas leak', at: '1m', every: CYCLE, duration: LASTS, ramp: '10s', select: { type: 'gas', near: 'Xixia', count: 3 },
      effects: [{ metric: 'co', set: 300, jitter: 25 }, { metric: 'ch4', set: 30, jitter: 4 }],
    },
    {
      name: 'fire', at: '5m', every: CYCLE, duration: LASTS, ramp: '10s', select: { type: 'smoke', near: 'Jinfeng', count: 3 },
      effects: [{ metric: 'obscuration', set: 30, jitter: 4 }, { metric: 'temp', type: 'smoke', set: 75, jitter: 6 }],
    },
    { name: 'fire response', at: '5m', every: CYCLE, duration: LASTS, select: { type: 'ambulance', near: 'Jinfeng', count: 2 }, goto: 'Jinfeng' },
    {
      name: 'flood', at: '9m', every: CYCLE, duration: LASTS, ramp: '1m', select: { type: 'flood', near: 'Yongning', count: 3 },
      effects: [{ metric: 'water_level', set: 200, jitter: 4 }],
    },
    {
      name: 'crowd crush', at: '13m', every: CYCLE, duration: LASTS, ramp: '10s', select: { type: 'wearable', near: 'Xingqing', count: 6 },
      effects: [{ metric: 'heart_rate', set: 145, jitter: 6 }, { metric: 'spo2', set: 86, jitter: 1.5 }],
    },
    { name: 'crush response', at: '13m', every: CYCLE, duration: LASTS, select: { type: 'ambulance', near: 'Xingqing', count: 4 }, goto: 'Xingqing' },
    {
      name: 'jam', at: '17m', every: CYCLE, duration: LASTS, ramp: '30s', select: { type: 'traffic', district: 'Helan' },
      effects: [{ metric: 'occupancy', set: 90, jitter: 1.5 }],
    },
    { name: 'broken bus tracker', at: '21m', every: CYCLE, duration: LASTS, select: { type: 'bus', count: 1 }, fault: { kind: 'malformed', probability: 0.3 } },
    { name: 'broken wearable', at: '21m', every: CYCLE, duration: LASTS, select: { type: 'wearable', count: 1 }, fault: { kind: 'out_of_range', probability: 0.3 } },
    { name: 'fast clock', at: '21m', every: CYCLE, duration: LASTS, select: { type: 'air', count: 1 }, fault: { kind: 'clock_skew', skew: '10m' } },
    {
      name: 'no coverage', at: '25m', every: CYCLE, duration: LASTS, select: { type: 'wearable', fraction: 0.1 },
      fault: { kind: 'dropout', disconnect: true },
    },
  ],
};
