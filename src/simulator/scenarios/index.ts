import type { ScenarioFile } from '../scenario.js';
import { demo } from './demo.js';
import { dropouts } from './dropouts.js';
import { fire } from './fire.js';
import { flood } from './flood.js';
import { gasLeak } from './gas-leak.js';
import { heatwave } from './heatwave.js';
import { massCasualty } from './mass-casualty.js';
import { normal } from './normal.js';
import { rushHour } from './rush-hour.js';
import { sensorFaults } from './sensor-faults.js';

/** The built-in scenarios by name; each lists the alerts (and dead letters) it should produce. */
export const BUILTIN_SCENARIOS: ReadonlyMap<string, ScenarioFile> = new Map(
  [normal, rushHour, heatwave, fire, flood, gasLeak, massCasualty, sensorFaults, dropouts, demo].map((s) => [s.name, s]),
);
