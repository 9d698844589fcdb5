import type { SensorType } from './catalog.js';

// How each catalog type is shown as a FIWARE Smart Data Model entity by the NGSI-LD API (docs/ngsi-ld.md): the one
// place that says which model a type is, which attribute of the model each metric is, in which UN/CEFACT (Rec. 20)
// unit code, and what an alert on such a device is in the Alert model. A type not listed (or a metric not listed)
// is shown as a `DeviceMeasurement` with its metrics under their catalog names.

/** How one metric is shown: the model's attribute, its unit code, and a factor from the catalog's unit. */
export interface NgsiAttributeSpec {
  name: string;
  /** UN/CEFACT Recommendation 20 code of the value as shown; absent where the model gives none. */
  unitCode?: string;
  /** Multiplies the stored value: a catalog percentage shown as the model's fraction is 0.01. */
  scale?: number;
}

/** How a model gives the time of the observation. */
export type NgsiObservedAs =
  | 'dateObserved'
  /** `dateObservedFrom`/`dateObservedTo` (and `dateObserved` as the ISO 8601 interval): the period ending at the reading. */
  | 'period'
  | 'observationDateTime';

/** The Alert model's categories (its `category` enumeration). */
export type NgsiAlertCategory = 'traffic' | 'naturalDisaster' | 'weather' | 'environment' | 'health' | 'security' | 'agriculture';

export interface NgsiModelSpec {
  /** The entity type, e.g. `AirQualityObserved`. */
  type: string;
  /** The Smart Data Models subject the type belongs to, e.g. `dataModel.Environment` (it names the type's IRI). */
  subject: string;
  /** Metric name → attribute; metrics not listed keep their catalog name. */
  attributes: Readonly<Record<string, NgsiAttributeSpec>>;
  observedAs: NgsiObservedAs;
  /** The observation period in ms for `period` (default: the catalog type's reporting interval). */
  periodMs?: number;
  /** Metrics that are the entity's position (a vehicle's `lat`/`lon`): shown as `location`, not as attributes. */
  position?: { lat: string; lon: string };
  /** Attributes every entity of the type has, e.g. `vehicleType: "bus"`. */
  fixed?: Readonly<Record<string, string | readonly string[]>>;
  /** What an alert on a device of this type is in the Alert model. */
  alert: { category: NgsiAlertCategory; subCategory?: string };
}

const ug = { unitCode: 'GQ' }; // microgram per cubic metre
const kmh = { unitCode: 'KMH' };
const vehicle = { type: 'Vehicle', subject: 'dataModel.Transportation', observedAs: 'observationDateTime', position: { lat: 'lat', lon: 'lon' } } as const;
const measurement = { type: 'DeviceMeasurement', subject: 'dataModel.Device', observedAs: 'dateObserved', attributes: {} } as const;

/** The mapping of the built-in catalog's types (docs/contract.md section 4), keyed `domain/type`. */
export const NGSI_MODELS: Readonly<Record<string, NgsiModelSpec>> = {
  'safety/air': {
    type: 'AirQualityObserved', subject: 'dataModel.Environment', observedAs: 'dateObserved',
    attributes: { pm25: { name: 'pm25', ...ug }, pm10: { name: 'pm10', ...ug }, no2: { name: 'no2', ...ug } },
    alert: { category: 'environment', subCategory: 'airPollution' },
  },
  'safety/gas': {
    // Methane as a share of its lower explosive limit has no attribute or unit code in the model: kept as `ch4`.
    type: 'AirQualityObserved', subject: 'dataModel.Environment', observedAs: 'dateObserved',
    attributes: { co: { name: 'co', unitCode: '59' }, ch4: { name: 'ch4' } },
    alert: { category: 'security' },
  },
  'safety/noise': {
    type: 'NoiseLevelObserved', subject: 'dataModel.Environment', observedAs: 'period',
    attributes: { level: { name: 'LAeq', unitCode: '2N' } },
    alert: { category: 'environment' },
  },
  'safety/flood': {
    type: 'FloodMonitoring', subject: 'dataModel.Environment', observedAs: 'observationDateTime',
    attributes: { water_level: { name: 'currentLevel', unitCode: 'CMT' } },
    alert: { category: 'naturalDisaster', subCategory: 'flood' },
  },
  'safety/smoke': { ...measurement, alert: { category: 'security', subCategory: 'buildingFire' } },
  'safety/structure': { ...measurement, alert: { category: 'security' } },
  'transport/traffic': {
    // `flow` is vehicles per minute: the model's `intensity` over a one-minute observation period.
    type: 'TrafficFlowObserved', subject: 'dataModel.Transportation', observedAs: 'period', periodMs: 60_000,
    attributes: { flow: { name: 'intensity' }, speed: { name: 'averageVehicleSpeed', ...kmh }, occupancy: { name: 'occupancy', scale: 0.01 } },
    alert: { category: 'traffic', subCategory: 'trafficJam' },
  },
  'transport/parking': {
    type: 'OffStreetParking', subject: 'dataModel.Parking', observedAs: 'observationDateTime',
    attributes: { free_spaces: { name: 'availableSpotNumber' }, occupancy: { name: 'occupancy', scale: 0.01 } },
    alert: { category: 'traffic' },
  },
  'transport/bus': {
    ...vehicle,
    attributes: { speed: { name: 'speed', ...kmh }, passengers: { name: 'passengers' }, delay: { name: 'delay', unitCode: 'SEC' } },
    fixed: { vehicleType: 'bus', category: ['public', 'tracked'] },
    alert: { category: 'traffic' },
  },
  'healthcare/ambulance': {
    ...vehicle,
    attributes: { speed: { name: 'speed', ...kmh } },
    fixed: { vehicleType: 'ambulance', category: ['specialUsage', 'tracked'], vehicleSpecialUsage: 'ambulance' },
    alert: { category: 'health' },
  },
  'healthcare/wearable': { ...measurement, alert: { category: 'health' } },
  'healthcare/cold_chain': { ...measurement, alert: { category: 'health' } },
};

/** The Alert model's `severity` for each citysense severity. */
export const NGSI_ALERT_SEVERITY: Readonly<Record<string, string>> = { info: 'informational', warning: 'medium', critical: 'critical' };

/** UN/CEFACT Rec. 20 codes of catalog units, for metrics that keep their catalog name. */
export const UNIT_CODES: Readonly<Record<string, string>> = {
  Cel: 'CEL', K: 'KEL', 'km/h': 'KMH', 'm/s': 'MTS', 'mm/s': 'C16', '%': 'P1', cm: 'CMT', m: 'MTR', mm: 'MMT',
  s: 'SEC', ms: 'C26', dB: '2N', ppm: '59', 'ug/m3': 'GQ', 'mg/m3': 'GP', deg: 'DD',
};

/** Names an entity has besides its metrics; a metric called so is shown as `metric_{name}`. */
export const NGSI_RESERVED = new Set([
  'id', 'type', 'location', 'name', 'address', 'refDevice', 'dateObserved', 'dateObservedFrom', 'dateObservedTo',
  'observationDateTime', 'controlledProperty', 'deviceType', 'vehicleType', 'category', 'vehicleSpecialUsage', 'scope',
]);

/** A catalog type's model with every metric resolved to its attribute (what the API and its tests use). */
export interface NgsiModel extends NgsiModelSpec {
  attributes: Readonly<Record<string, NgsiAttributeSpec>>;
}

/** The model of a catalog type, every metric of it mapped (a type without a mapping is a `DeviceMeasurement`). */
export function ngsiModelOf(sensor: SensorType): NgsiModel {
  const spec = NGSI_MODELS[`${sensor.domain}/${sensor.type}`]
    ?? { ...measurement, alert: { category: sensor.domain === 'healthcare' ? 'health' : sensor.domain === 'transport' ? 'traffic' : 'security' } };
  const attributes: Record<string, NgsiAttributeSpec> = {};
  for (const m of sensor.metrics.values()) {
    if (spec.position && (m.name === spec.position.lat || m.name === spec.position.lon)) continue;
    const unitCode = m.unit !== undefined ? UNIT_CODES[m.unit] : undefined;
    attributes[m.name] = spec.attributes[m.name]
      ?? { name: NGSI_RESERVED.has(m.name) ? `metric_${m.name}` : m.name, ...(unitCode ? { unitCode } : {}) };
  }
  return { ...spec, attributes };
}
