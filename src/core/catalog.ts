import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { BUILTIN_CATALOG } from './catalog-data.js';
import { parseDuration } from './duration.js';
import { ConfigError } from './errors.js';
import type { RefusalReason } from './reading.js';

const NAME = /^[a-z][a-z0-9_]{0,63}$/;

const metricSchema = z
  .object({
    kind: z.enum(['number', 'boolean']).default('number'),
    unit: z.string().min(1).max(32).optional(),
    min: z.number().finite().optional(),
    max: z.number().finite().optional(),
  })
  .strict()
  .refine((m) => m.min === undefined || m.max === undefined || m.min <= m.max, { message: 'min must not exceed max' });

const typeSchema = z
  .object({
    domain: z.string().regex(NAME),
    type: z.string().regex(NAME),
    interval: z.string().refine((s) => { try { return parseDuration(s) > 0; } catch { return false; } }, 'a positive duration such as 30s'),
    metrics: z.record(z.string().regex(NAME), metricSchema).refine((m) => Object.keys(m).length > 0, 'at least one metric'),
  })
  .strict();

/** The file format of `CATALOG_FILE`; `mode: "extend"` adds to or overrides the built-in types. */
export const catalogFileSchema = z
  .object({ mode: z.enum(['replace', 'extend']).default('replace'), types: z.array(typeSchema).min(1) })
  .strict();
export type CatalogFile = z.input<typeof catalogFileSchema>;

export interface MetricSpec {
  name: string;
  kind: 'number' | 'boolean';
  unit?: string;
  min?: number;
  max?: number;
}

export interface SensorType {
  domain: string;
  type: string;
  /** Expected reporting period in ms; 3 missed intervals make a device stale. */
  intervalMs: number;
  metrics: Map<string, MetricSpec>;
}

export type ValidationResult =
  | { ok: true; values: Record<string, number | boolean> }
  | { ok: false; reason: RefusalReason; detail: string };

/** A value with the unit the device gave (SenML `u`), or none. */
export interface RawValue {
  name: string;
  value: unknown;
  unit?: string;
}

// Units a device may send that mean the same as the catalog's, or that convert exactly.
const SAME_UNIT: Record<string, string[]> = {
  deg: ['lat', 'lon', '°'],
  'beat/min': ['bpm', '1/min'],
  '%': ['%RH'],
  count: ['1', 'count'],
  'ug/m3': ['µg/m3', 'ug/m^3'],
};
const CONVERSIONS: Record<string, Record<string, (v: number) => number>> = {
  Cel: { degF: (v) => ((v - 32) * 5) / 9, K: (v) => v - 273.15 },
  cm: { m: (v) => v * 100, mm: (v) => v / 10 },
  'km/h': { 'm/s': (v) => v * 3.6 },
  s: { ms: (v) => v / 1000, min: (v) => v * 60 },
};

export class Catalog {
  readonly types: ReadonlyMap<string, SensorType>;
  readonly domains: readonly string[];

  constructor(file: CatalogFile) {
    const parsed = catalogFileSchema.parse(file);
    const types = new Map<string, SensorType>();
    for (const t of parsed.types) {
      const metrics = new Map<string, MetricSpec>();
      for (const [name, m] of Object.entries(t.metrics)) metrics.set(name, { name, ...m });
      types.set(`${t.domain}/${t.type}`, { domain: t.domain, type: t.type, intervalMs: parseDuration(t.interval), metrics });
    }
    // All types write to one InfluxDB measurement, which keeps one type per field: a metric name with two kinds
    // would have the store refuse one of them for good (and hold up the spool behind it). Refused here instead.
    const kindOf = new Map<string, { kind: string; where: string }>();
    for (const t of types.values()) {
      for (const m of t.metrics.values()) {
        const seen = kindOf.get(m.name);
        if (!seen) kindOf.set(m.name, { kind: m.kind, where: `${t.domain}/${t.type}` });
        else if (seen.kind !== m.kind) {
          throw new Error(`metric "${m.name}" is ${seen.kind} in ${seen.where} but ${m.kind} in ${t.domain}/${t.type}: a metric name has one kind across the catalog`);
        }
      }
    }
    this.types = types;
    this.domains = [...new Set([...types.values()].map((t) => t.domain))];
  }

  get(domain: string, type: string): SensorType | undefined {
    return this.types.get(`${domain}/${type}`);
  }

  /** Checks every value of one message; the first invalid one refuses the whole message. */
  validate(sensor: SensorType, values: Iterable<RawValue>): ValidationResult {
    const out: Record<string, number | boolean> = {};
    let count = 0;
    for (const { name, value, unit } of values) {
      const spec = sensor.metrics.get(name);
      if (!spec) return { ok: false, reason: 'unknown_metric', detail: `${sensor.domain}/${sensor.type} has no metric ${JSON.stringify(name)}` };
      let v: number | boolean;
      if (spec.kind === 'boolean') {
        if (typeof value !== 'boolean') return { ok: false, reason: 'wrong_type', detail: `${name} must be a boolean` };
        v = value;
      } else {
        if (typeof value !== 'number') return { ok: false, reason: 'wrong_type', detail: `${name} must be a number` };
        if (!Number.isFinite(value)) return { ok: false, reason: 'out_of_range', detail: `${name} must be finite` };
        v = value;
        if (unit !== undefined && unit !== spec.unit) {
          const converted = convert(spec, unit, value);
          if (converted === undefined) return { ok: false, reason: 'bad_unit', detail: `${name} is in ${spec.unit ?? 'no unit'}, not ${unit}` };
          v = converted;
        }
        if ((spec.min !== undefined && v < spec.min) || (spec.max !== undefined && v > spec.max)) {
          return { ok: false, reason: 'out_of_range', detail: `${name}=${v} is outside ${spec.min ?? '-inf'}..${spec.max ?? 'inf'}` };
        }
      }
      if (Object.hasOwn(out, name)) return { ok: false, reason: 'malformed_payload', detail: `${name} appears twice` };
      out[name] = v;
      count++;
    }
    if (count === 0) return { ok: false, reason: 'malformed_payload', detail: 'no values' };
    return { ok: true, values: out };
  }

  /** The catalog as the API shows it. */
  toJSON() {
    return {
      domains: this.domains.map((domain) => ({
        name: domain,
        types: [...this.types.values()]
          .filter((t) => t.domain === domain)
          .map((t) => ({ name: t.type, intervalMs: t.intervalMs, metrics: [...t.metrics.values()] })),
      })),
    };
  }
}

function convert(spec: MetricSpec, unit: string, value: number): number | undefined {
  if (spec.unit && SAME_UNIT[spec.unit]?.includes(unit)) return value;
  const fn = spec.unit ? CONVERSIONS[spec.unit]?.[unit] : undefined;
  return fn ? fn(value) : undefined;
}

/** The built-in catalog, or the one in `file` (which replaces it, or extends it with `mode: "extend"`). */
export function loadCatalog(file?: string): Catalog {
  if (!file) return new Catalog(BUILTIN_CATALOG);
  try {
    const parsed = catalogFileSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
    if (parsed.mode === 'replace') return new Catalog(parsed);
    const byKey = new Map(BUILTIN_CATALOG.types.map((t) => [`${t.domain}/${t.type}`, t]));
    for (const t of parsed.types) byKey.set(`${t.domain}/${t.type}`, t);
    return new Catalog({ types: [...byKey.values()] });
  } catch (err) {
    const why = err instanceof z.ZodError ? err.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ') : (err as Error).message;
    throw new ConfigError('CATALOG_FILE', `${file}: ${why}`);
  }
}
