// The words of a notification: a subject an on-call person can act on from a lock screen
// ("CRITICAL carbon monoxide 120 ppm — gas-007, Xixia") and the facts under it, shared by email and chat formats.
import type { Alert, Catalog } from '../core/index.js';
import type { DeliveryTransition } from '../storage/index.js';

/** Spoken names of the built-in catalog's metrics; any other metric is shown by its own name. */
const METRIC_NAMES: Record<string, string> = {
  co: 'carbon monoxide', ch4: 'methane', obscuration: 'smoke obscuration', temp: 'temperature', heart_rate: 'heart rate',
  spo2: 'blood oxygen', body_temp: 'body temperature', door_open: 'door open', water_level: 'water level', level: 'noise level',
  pm25: 'PM2.5', pm10: 'PM10', no2: 'nitrogen dioxide', free_spaces: 'free spaces', occupancy: 'occupancy', flow: 'traffic flow',
  speed: 'speed', passengers: 'passengers', delay: 'delay', vibration: 'vibration', tilt: 'tilt',
};
const UNITS: Record<string, string> = { Cel: '°C', 'beat/min': 'bpm', count: '', 'ug/m3': 'µg/m³' };

export interface Summary {
  subject: string;
  /** Label and value, in reading order. */
  facts: [string, string][];
  /** The alert in the operator console. */
  url: string;
}

const PREFIX: Record<DeliveryTransition, string> = {
  fired: '', acknowledged: 'ACKNOWLEDGED ', resolved: 'RESOLVED ', repeat: 'REMINDER ', escalated: 'ESCALATED ', test: 'TEST ',
};

/** Where the console shows an alert. */
export const alertUrl = (publicUrl: string, id: number) => `${publicUrl.replace(/\/+$/, '')}/#/alerts/${id}`;

/** The subject and facts of a notification about `alert`. */
export function summarize(alert: Alert, transition: DeliveryTransition, catalog: Catalog, publicUrl: string): Summary {
  const unitOf = (m: string) => {
    const u = catalog.get(alert.domain, alert.type)?.metrics.get(m)?.unit ?? '';
    return UNITS[u] ?? u;
  };
  // A firing reports the value that breached; later notifications the newest one.
  const value = transition === 'fired' ? alert.value : (alert.lastValue ?? alert.value);
  const what = alert.metric === null
    ? `no data for ${alert.value ?? '?'} s`
    : `${METRIC_NAMES[alert.metric] ?? alert.metric} ${value ?? '?'}${unitOf(alert.metric) ? ` ${unitOf(alert.metric)}` : ''}`;
  const where = [alert.deviceId, alert.district].filter(Boolean).join(', ');
  const subject = `${PREFIX[transition]}${alert.severity.toUpperCase()} ${what} — ${where}`;
  const url = alertUrl(publicUrl, alert.id);
  const facts: [string, string][] = [
    ['Severity', alert.severity],
    ['Rule', alert.ruleName],
    ['Device', `${alert.deviceId} (${alert.domain}/${alert.type})`],
    ['District', alert.district ?? '—'],
    ['Value', what],
    ['Message', alert.message],
    ['Fired at', new Date(alert.firedAt).toISOString()],
    ['State', alert.state + (alert.acknowledgedBy ? ` (acknowledged by ${alert.acknowledgedBy})` : '')],
    ['Console', url],
  ];
  return { subject, facts, url };
}
