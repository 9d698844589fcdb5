import type { ScenarioFile } from '../scenario.js';

/** An ordinary day: daily cycles, noise and drift, no incident. */
export const normal: ScenarioFile = {
  name: 'normal',
  description: 'An ordinary day from noon: daily cycles, noise and drift, no incident, every value inside the catalog ranges.',
  clock: '12:00',
  // None. (Any device reporting less often than every 3 of its catalog intervals, because --rate is below a
  // third of the fleet's natural rate, goes stale: that is the rate's doing, not the scenario's.)
  expectedAlerts: [],
  events: [],
};
