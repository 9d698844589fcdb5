import type { SensorType } from '../../core/index.js';
import type { FleetDevice } from '../fleet.js';
import type { Prng } from '../prng.js';
import type { DeviceModel } from './city.js';
import { generic } from './generic.js';
import { ambulance, coldChain, wearable } from './healthcare.js';
import { air, flood, gas, noise, smoke, structure } from './safety.js';
import { bus, parking, traffic } from './transport.js';

export type { DeviceModel, SignalContext } from './city.js';
export { activity, ambientTemp, trafficIntensity } from './city.js';

type ModelFactory = (device: FleetDevice, rng: Prng, sensor: SensorType) => DeviceModel;

// One model per built-in catalog type; a type added by CATALOG_FILE gets the generic one.
const MODELS: Record<string, ModelFactory> = {
  'healthcare/wearable': wearable,
  'healthcare/cold_chain': coldChain,
  'healthcare/ambulance': ambulance,
  'transport/traffic': traffic,
  'transport/parking': parking,
  'transport/bus': bus,
  'safety/smoke': smoke,
  'safety/gas': gas,
  'safety/flood': flood,
  'safety/noise': noise,
  'safety/air': air,
  'safety/structure': structure,
};

/** The signal model of one device, drawing on its own random stream. */
export function createModel(device: FleetDevice, sensor: SensorType, rng: Prng): DeviceModel {
  const factory = MODELS[`${sensor.domain}/${sensor.type}`];
  // A CATALOG_FILE may change a built-in type's metrics: the generator keeps only the catalog's.
  if (factory) return factory(device, rng, sensor);
  return generic(device, rng, sensor);
}
