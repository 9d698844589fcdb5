import type { CatalogFile } from './catalog.js';

const lat = { unit: 'deg', min: -90, max: 90 };
const lon = { unit: 'deg', min: -180, max: 180 };

/** The built-in sensor catalog (docs/contract.md section 4). */
export const BUILTIN_CATALOG: CatalogFile = {
  types: [
    { domain: 'healthcare', type: 'wearable', interval: '10s', metrics: {
      heart_rate: { unit: 'beat/min', min: 20, max: 250 }, spo2: { unit: '%', min: 50, max: 100 }, body_temp: { unit: 'Cel', min: 30, max: 45 } } },
    { domain: 'healthcare', type: 'cold_chain', interval: '60s', metrics: {
      temp: { unit: 'Cel', min: -40, max: 40 }, door_open: { kind: 'boolean' } } },
    { domain: 'healthcare', type: 'ambulance', interval: '5s', metrics: {
      speed: { unit: 'km/h', min: 0, max: 250 }, lat, lon } },
    { domain: 'transport', type: 'traffic', interval: '60s', metrics: {
      flow: { unit: 'veh/min', min: 0, max: 500 }, speed: { unit: 'km/h', min: 0, max: 250 }, occupancy: { unit: '%', min: 0, max: 100 } } },
    { domain: 'transport', type: 'parking', interval: '60s', metrics: {
      free_spaces: { unit: 'count', min: 0, max: 10000 }, occupancy: { unit: '%', min: 0, max: 100 } } },
    { domain: 'transport', type: 'bus', interval: '10s', metrics: {
      passengers: { unit: 'count', min: 0, max: 300 }, speed: { unit: 'km/h', min: 0, max: 250 }, delay: { unit: 's', min: -3600, max: 36000 }, lat, lon } },
    { domain: 'safety', type: 'smoke', interval: '30s', metrics: {
      obscuration: { unit: '%/m', min: 0, max: 100 }, temp: { unit: 'Cel', min: -40, max: 120 } } },
    { domain: 'safety', type: 'gas', interval: '30s', metrics: {
      co: { unit: 'ppm', min: 0, max: 2000 }, ch4: { unit: '%LEL', min: 0, max: 100 } } },
    { domain: 'safety', type: 'flood', interval: '60s', metrics: { water_level: { unit: 'cm', min: 0, max: 2000 } } },
    { domain: 'safety', type: 'noise', interval: '60s', metrics: { level: { unit: 'dB', min: 20, max: 140 } } },
    { domain: 'safety', type: 'air', interval: '60s', metrics: {
      pm25: { unit: 'ug/m3', min: 0, max: 1000 }, pm10: { unit: 'ug/m3', min: 0, max: 2000 }, no2: { unit: 'ug/m3', min: 0, max: 1000 } } },
    { domain: 'safety', type: 'structure', interval: '30s', metrics: {
      vibration: { unit: 'mm/s', min: 0, max: 200 }, tilt: { unit: 'deg', min: -90, max: 90 } } },
  ],
};
