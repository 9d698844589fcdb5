// Devices, their history and its export, and the catalog they are registered against.
import { z } from 'zod';
import { DEVICE_ID } from '../../core/index.js';
import { AGGREGATES } from '../../storage/index.js';
import { METRIC_NAME, label, pageLimit, time, value } from './common.js';

export const DEVICE_STATUSES = ['online', 'offline', 'stale'] as const;
export const deviceStatusSchema = z.enum(DEVICE_STATUSES);
export type DeviceStatus = z.infer<typeof deviceStatusSchema>;

export const deviceSchema = z
  .object({
    id: z.string(),
    domain: z.string(),
    type: z.string(),
    name: z.string().optional(),
    district: z.string().optional(),
    location: z.object({ lat: z.number(), lon: z.number() }).optional(),
    createdAt: time,
    status: deviceStatusSchema,
    lastSeen: time.nullable(),
    latest: z.record(z.string(), z.object({ v: value, t: time })),
    clockSkewMs: z.number().nullable().describe('median of (device timestamp - receive time) over recent messages that carried a timestamp'),
  })
  .meta({ id: 'Device' });
export type Device = z.infer<typeof deviceSchema>;

export const credentialsSchema = z.object({ username: z.string(), password: z.string().describe('shown only in this answer') }).meta({ id: 'Credentials' });
export const deviceCreatedSchema = z.object({ device: deviceSchema, credentials: credentialsSchema });
export const credentialsRotatedSchema = z.object({ credentials: credentialsSchema });
export type DeviceCreated = z.infer<typeof deviceCreatedSchema>;

export const newDeviceSchema = z.strictObject({
  // '.' and '..' match the pattern, but browsers and curl normalise them out of /api/devices/{id}: unreachable.
  id: z.string().regex(DEVICE_ID, 'must be 1–64 of A-Z a-z 0-9 _ . -').refine((id) => id !== '.' && id !== '..', "must not be '.' or '..' (a URL cannot name such a device)"),
  domain: z.string().min(1),
  type: z.string().min(1),
  name: z.string().trim().min(1).max(200).optional(),
  district: z.string().trim().min(1).max(100).optional(),
  location: z.strictObject({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180) }).optional(),
});
export type NewDevice = z.input<typeof newDeviceSchema>;

export const deviceListQuery = z.object({
  domain: z.string().optional(),
  type: z.string().optional(),
  district: z.string().optional(),
  status: deviceStatusSchema.optional(),
  limit: pageLimit,
  cursor: z.string().regex(DEVICE_ID).optional(),
});
export type DeviceListQuery = z.input<typeof deviceListQuery>;

/** Most points or buckets one history answer holds. */
export const MAX_POINTS = 10_000;
export const aggregateSchema = z.enum(AGGREGATES);
export type Aggregate = z.infer<typeof aggregateSchema>;

export const historyQuery = z.object({
  metric: z.string().regex(METRIC_NAME, 'must be a catalog metric name'),
  from: z.string().default('-1h'),
  to: z.string().default('now'),
  every: z.string().optional(),
  agg: aggregateSchema.optional(),
  // Default: 1000 raw points; with `every`, every bucket (their number is bounded by MAX_POINTS).
  limit: z.coerce.number().int().min(1).max(MAX_POINTS).optional(),
});
export type HistoryQuery = z.input<typeof historyQuery>;

export const historyPointSchema = z.object({ t: time, v: value });
export type HistoryPoint = z.infer<typeof historyPointSchema>;
export const historySchema = z.object({
  deviceId: z.string(),
  metric: z.string(),
  points: z.array(historyPointSchema),
  truncated: z.literal(true).optional().describe('present when more points or buckets matched than `limit`: the first ones (oldest) are given'),
}).meta({ id: 'History' });
export type History = z.infer<typeof historySchema>;

export const EXPORT_FORMATS = ['csv', 'ndjson'] as const;
export const exportQuery = z.object({
  from: z.string().describe('RFC 3339 or relative (-7d)'),
  to: z.string().default('now'),
  domain: label.optional(),
  type: label.optional(),
  district: label.optional(),
  deviceId: z.string().regex(DEVICE_ID, 'must be a device id (1–64 of A-Z a-z 0-9 _ . -)').optional(),
  metric: z.string().regex(METRIC_NAME, 'must be a catalog metric name').optional(),
  every: z.string().optional().describe('bucket width (≥ 1s): one row per bucket and metric instead of per reading'),
  agg: aggregateSchema.optional().describe('with every; default mean'),
  format: z.enum(EXPORT_FORMATS).default('csv'),
});
export type ExportQuery = z.input<typeof exportQuery>;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
/** One NDJSON line of an export: a reading's metric, or with `every` a bucket's aggregate (ts: the bucket's start). */
export const exportRowSchema = z
  .strictObject({
    ts: time, deviceId: z.string(), domain: z.string(), type: z.string(), district: z.string().nullable(),
    metric: z.string(), value, unit: z.string().nullable().describe('the catalog unit; null for a metric without one'),
  })
  .meta({ id: 'ExportRow' });
export type ExportRow = z.infer<typeof exportRowSchema>;

export const catalogMetricSchema = z.object({ name: z.string(), kind: z.enum(['number', 'boolean']), unit: z.string().optional(), min: z.number().optional(), max: z.number().optional() });
export const catalogTypeSchema = z.object({ name: z.string(), intervalMs: z.number(), metrics: z.array(catalogMetricSchema) });
export const catalogSchema = z
  .object({ domains: z.array(z.object({ name: z.string(), types: z.array(catalogTypeSchema) })) })
  .meta({ id: 'Catalog' });
export type Catalog = z.infer<typeof catalogSchema>;
export type CatalogType = z.infer<typeof catalogTypeSchema>;
export type CatalogMetric = z.infer<typeof catalogMetricSchema>;
