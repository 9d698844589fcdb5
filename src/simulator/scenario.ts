import { existsSync, readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { parseDuration, REFUSAL_REASONS, type Catalog } from '../core/index.js';
import { DRIVERS } from './signals/city.js';

/** A scenario file or name that cannot be used; the message says what is wrong and where. */
export class ScenarioError extends Error {
  override name = 'ScenarioError';
}

// Durations: "30s", "5m", or a number of seconds; signed ones ("-90s") only for clock skew.
const toMs = (v: string | number, ctx: z.RefinementCtx, signed: boolean): number => {
  if (typeof v === 'number') return Math.round(v * 1000);
  const neg = signed && v.trim().startsWith('-');
  try {
    const ms = parseDuration(neg ? v.trim().slice(1) : v);
    return neg ? -ms : ms;
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
};
const duration = z.union([z.number().nonnegative(), z.string()]).transform((v, ctx) => toMs(v, ctx, false));
const signedDuration = z.union([z.number(), z.string()]).transform((v, ctx) => toMs(v, ctx, true));
const point = z.strictObject({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180) });
const oneOrMany = z.union([z.string(), z.array(z.string()).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]));

const selectSchema = z.strictObject({
  domain: z.string().optional(),
  type: oneOrMany.optional(),
  district: oneOrMany.optional(),
  ids: z.array(z.string()).min(1).optional(),
  /** Take the devices nearest this district's centre or point, rather than random ones. */
  near: z.union([z.string(), point]).optional(),
  count: z.number().int().positive().optional(),
  fraction: z.number().gt(0).max(1).optional(),
});

const effectSchema = z
  .strictObject({
    metric: z.string().min(1),
    /** Only devices of this catalog type (a metric name such as `temp` is shared by several types). */
    type: z.string().optional(),
    set: z.number().optional(),
    add: z.number().optional(),
    multiply: z.number().optional(),
    /** Standard deviation of noise around `set`, so affected devices do not all read the same. */
    jitter: z.number().nonnegative().default(0),
  })
  .refine((e) => [e.set, e.add, e.multiply].filter((x) => x !== undefined).length === 1, 'an effect needs exactly one of set, add, multiply');

export const FAULT_KINDS = ['stuck', 'out_of_range', 'malformed', 'clock_skew', 'wrong_type', 'unknown_metric', 'bad_unit', 'dropout'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

const faultSchema = z.strictObject({
  kind: z.enum(FAULT_KINDS),
  /** Chance that one message of an affected device is faulty (dropouts ignore it). */
  probability: z.number().min(0).max(1).default(1),
  /** clock_skew: how far the device clock runs ahead (negative: behind). */
  skew: signedDuration.default(600_000),
  /** dropout: also lose the MQTT connection (the broker publishes the device's will), not just go quiet. */
  disconnect: z.boolean().default(false),
  /** out_of_range, wrong_type, bad_unit: the metric to spoil (default: the device's first number). */
  metric: z.string().optional(),
});

const eventSchema = z
  .strictObject({
    name: z.string().optional(),
    /** When it starts, from the start of the run (real time). */
    at: duration.default(0),
    /** How long it lasts (default: to the end of the run). */
    duration: duration.optional(),
    /** Repeats every so often, each time for `duration`, on devices chosen afresh. */
    every: duration.optional(),
    /** Effects fade in over `ramp` after the start and out over `ramp` before the end. */
    ramp: duration.default(0),
    select: selectSchema.default({}),
    effects: z.array(effectSchema).default([]),
    fault: faultSchema.optional(),
    /** Vehicles among the selected devices head here (a district's centre or a point). */
    goto: z.union([z.string(), point]).optional(),
  })
  .refine((e) => e.effects.length > 0 || e.fault !== undefined || e.goto !== undefined, 'an event needs effects, a fault or goto')
  .refine((e) => e.every === undefined || (e.every > 0 && e.duration !== undefined && e.duration <= e.every), 'every needs a duration no longer than itself');

const expectedAlertSchema = z.strictObject({
  rule: z.string(),
  severity: z.enum(['info', 'warning', 'critical']),
  /** Which devices, in words. */
  devices: z.string(),
  /** When, in words ("about 10 s in, once CO passes 50 ppm"). */
  when: z.string().optional(),
});

export const scenarioSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().default(''),
  /** Simulated time of day at the start of the run, HH:MM (drives daily cycles). */
  clock: z.string().regex(/^([01]?\d|2[0-3]):[0-5]\d$/, 'HH:MM').default('12:00'),
  /** Simulated seconds per real second (60: an hour of daily cycle per minute). Event times stay real. */
  timeScale: z.number().positive().max(86_400).default(1),
  expectedAlerts: z.array(expectedAlertSchema).default([]),
  /** Dead-letter reasons the scenario's faults produce. */
  expectedDeadLetters: z.array(z.enum(REFUSAL_REASONS)).default([]),
  events: z.array(eventSchema).default([]),
});

/** A scenario as written in a file (durations as text). */
export type ScenarioFile = z.input<typeof scenarioSchema>;
/** A parsed scenario (durations in ms). */
export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioEvent = Scenario['events'][number];
export type Selection = ScenarioEvent['select'];
export type Effect = ScenarioEvent['effects'][number];
export type Fault = NonNullable<ScenarioEvent['fault']>;

/** Checks a scenario object; throws a ScenarioError naming each problem's path. */
export function parseScenario(input: unknown, source = 'scenario'): Scenario {
  const result = scenarioSchema.safeParse(input);
  if (!result.success) throw new ScenarioError(`${source} is not a valid scenario:\n${z.prettifyError(result.error)}`);
  return result.data;
}

/** Reads a scenario file: YAML for .yaml/.yml, JSON otherwise. */
export function readScenarioFile(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ScenarioError(`cannot read scenario file ${file}: ${(e as Error).message}`);
  }
  let data: unknown;
  try {
    data = ['.yaml', '.yml'].includes(extname(file).toLowerCase()) ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw new ScenarioError(`${file} does not parse: ${(e as Error).message}`);
  }
  return parseScenario(data, file);
}

/** A built-in scenario by name, or else a scenario file by path. */
export function loadScenario(nameOrFile: string, builtins: ReadonlyMap<string, ScenarioFile>): Scenario {
  const builtin = builtins.get(nameOrFile);
  if (builtin) return parseScenario(builtin, `built-in scenario ${nameOrFile}`);
  if (existsSync(nameOrFile)) return readScenarioFile(nameOrFile);
  throw new ScenarioError(`no built-in scenario or file named ${JSON.stringify(nameOrFile)} (built-in: ${[...builtins.keys()].join(', ')})`);
}

/** The start clock as hours since midnight. */
export function clockHours(s: Scenario): number {
  const [h, m] = s.clock.split(':').map(Number);
  return h! + m! / 60;
}

/**
 * Names in a scenario that the catalog does not have (a domain, a type, an effect's metric or driver): such an
 * event would select no device or change nothing, silently. Fault metrics are not checked: an unknown one may be
 * the fault.
 */
export function checkScenarioNames(scenario: Scenario, catalog: Catalog): void {
  const types = [...catalog.types.values()];
  const problems: string[] = [];
  scenario.events.forEach((e, i) => {
    const where = `events[${i}]`;
    if (e.select.domain !== undefined && !catalog.domains.includes(e.select.domain)) problems.push(`${where}.select.domain: no domain ${JSON.stringify(e.select.domain)}`);
    for (const t of e.select.type ?? []) if (!types.some((s) => s.type === t)) problems.push(`${where}.select.type: no type ${JSON.stringify(t)}`);
    e.effects.forEach((f, j) => {
      const of = f.type === undefined ? types : types.filter((s) => s.type === f.type);
      if (f.type !== undefined && of.length === 0) problems.push(`${where}.effects[${j}].type: no type ${JSON.stringify(f.type)}`);
      else if (!DRIVERS.includes(f.metric) && !of.some((s) => s.metrics.has(f.metric))) problems.push(`${where}.effects[${j}].metric: no metric ${JSON.stringify(f.metric)}${f.type ? ` in type ${f.type}` : ''}`);
    });
  });
  if (problems.length > 0) throw new ScenarioError(`scenario ${scenario.name} names what the catalog does not have:\n  ${problems.join('\n  ')}`);
}
