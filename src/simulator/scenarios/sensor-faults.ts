import type { ScenarioFile } from '../scenario.js';

/** Broken devices: each fault on one or two devices of its own type, from 3 s in. */
export const sensorFaults: ScenarioFile = {
  name: 'sensor-faults',
  description:
    'From 3 s in, a few devices misbehave for the rest of the run, each fault on devices of its own type: two traffic or ' +
    'parking sensors stick at one value (accepted: stuck is valid data); one wearable sends impossible heart rates, one bus ' +
    'truncated JSON, one air station a clock 10 minutes fast, one bridge monitor numbers as strings, one fridge a metric ' +
    'the catalog lacks, one ambulance its speed in mph (half of their messages each); one noise meter runs 90 s slow ' +
    '(accepted; its clockSkewMs shows it).',
  clock: '12:00',
  expectedAlerts: [],
  expectedDeadLetters: ['out_of_range', 'malformed_json', 'bad_timestamp', 'wrong_type', 'unknown_metric', 'bad_unit'],
  events: [
    { name: 'stuck', at: '3s', select: { type: ['traffic', 'parking'], count: 2 }, fault: { kind: 'stuck' } },
    { name: 'out of range', at: '3s', select: { type: 'wearable', count: 1 }, fault: { kind: 'out_of_range', probability: 0.5 } },
    { name: 'malformed', at: '3s', select: { type: 'bus', count: 1 }, fault: { kind: 'malformed', probability: 0.5 } },
    { name: 'clock fast', at: '3s', select: { type: 'air', count: 1 }, fault: { kind: 'clock_skew', skew: '10m' } },
    { name: 'clock slow', at: '3s', select: { type: 'noise', count: 1 }, fault: { kind: 'clock_skew', skew: '-90s' } },
    { name: 'strings', at: '3s', select: { type: 'structure', count: 1 }, fault: { kind: 'wrong_type', probability: 0.5 } },
    { name: 'new firmware', at: '3s', select: { type: 'cold_chain', count: 1 }, fault: { kind: 'unknown_metric', probability: 0.5 } },
    { name: 'wrong unit', at: '3s', select: { type: 'ambulance', count: 1 }, fault: { kind: 'bad_unit', probability: 0.5, metric: 'speed' } },
  ],
};
