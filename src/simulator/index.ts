/** The simulator: a client that connects a city's worth of devices over MQTT, as real ones would. */
export { runSimulation, type SimulateOptions, type SimulateResult } from './simulate.js';
export { describeIncident, watchIncidents, type IncidentChange } from './incidents.js';
export { runReplay, type ReplayOptions } from './replay.js';
export { formatSummary, type Summary, type Counters } from './progress.js';
export { createGenerator, type Generator, type GeneratorOptions, type Outgoing } from './generator.js';
export { planFleet, fleetMix, type FleetDevice } from './fleet.js';
export { YINCHUAN_DISTRICTS, findDistrict, isInside, type District, type LatLon } from './districts.js';
export { createPrng, type Prng } from './prng.js';
export { createSlotPlanner, naturalRate, runAtRate, type RateRun, type SlotPlanner } from './schedule.js';
export {
  FAULT_KINDS, ScenarioError, checkScenarioNames, loadScenario, parseScenario, readScenarioFile,
  type FaultKind, type Scenario, type ScenarioFile,
} from './scenario.js';
export { BUILTIN_SCENARIOS } from './scenarios/index.js';
export { RecordingError, createRecorder, openRecording, shiftForReplay, shiftTimestamps, type RecordHeader, type RecordLine, type RecordedMessage } from './record.js';
export {
  ProvisionError, fetchCatalog, provisionFleet, readCredentialsFile, writeCredentialsFile, type Credentials,
} from './provision.js';
export { BROKER_SCHEMES, ConnectError, checkBrokerUrl } from './links.js';
export { trafficIntensity, ambientTemp } from './signals/index.js';
export { AlertCheckError, checkAlerts, fetchRaisedAlerts, formatCheck, type AlertCheck, type AlertCheckRow } from './check.js';
