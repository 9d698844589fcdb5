import { NGSI_ALERT_SEVERITY, ngsiModelOf, type Catalog, type NgsiAttributeSpec, type NgsiModel, type SensorType } from '../core/index.js';
import type { Alert } from '../core/index.js';
import type { Device } from '../storage/index.js';

/** One NGSI-LD attribute in the normalized form. */
export interface Attribute {
  type: 'Property' | 'GeoProperty' | 'Relationship';
  value?: unknown;
  object?: string;
  observedAt?: string;
  unitCode?: string;
}

/** An entity in the normalized form: `id`, `type` and its attributes. */
export type Entity = { id: string; type: string } & { [name: string]: string | Attribute };

/** A catalog type with its model. */
export interface Modelled {
  sensor: SensorType;
  model: NgsiModel;
}

/** The catalog's types with their models, looked up once. */
export interface Models {
  /** Every catalog type, in catalog order. */
  readonly all: readonly Modelled[];
  /** The model of a type (a `DeviceMeasurement` for a type the catalog no longer has). */
  of(domain: string, type: string): Modelled;
  /** A type's IRI, as the @context expands it (`https://smartdatamodels.org/dataModel.Environment/AirQualityObserved`). */
  typeIri(name: string): string;
}

export function createModels(catalog: Catalog): Models {
  const byKey = new Map<string, Modelled>();
  for (const sensor of catalog.types.values()) byKey.set(`${sensor.domain}/${sensor.type}`, { sensor, model: ngsiModelOf(sensor) });
  const all = [...byKey.values()];
  const subjects = new Map<string, string>([['Alert', 'dataModel.Alert'], ...all.map((m): [string, string] => [m.model.type, m.model.subject])]);
  return {
    all,
    typeIri: (name) => (subjects.has(name) ? `https://smartdatamodels.org/${subjects.get(name)}/${name}` : name),
    of(domain, type) {
      const found = byKey.get(`${domain}/${type}`);
      if (found) return found;
      const sensor: SensorType = { domain, type, intervalMs: 60_000, metrics: new Map() };
      return { sensor, model: ngsiModelOf(sensor) };
    },
  };
}

/** `urn:ngsi-ld:{Type}:{id}`. */
export const entityId = (type: string, id: string) => `urn:ngsi-ld:${type}:${id}`;

/** The type and local id of an entity id this API gives, or undefined. */
export function parseEntityId(id: string): { type: string; local: string } | undefined {
  const m = /^urn:ngsi-ld:([A-Za-z][A-Za-z0-9]*):(.+)$/.exec(id);
  return m ? { type: m[1]!, local: m[2]! } : undefined;
}

const iso = (t: number) => new Date(t).toISOString();
const prop = (value: unknown, extra: Partial<Attribute> = {}): Attribute => ({ type: 'Property', value, ...extra });

/** A stored value as the model shows it (a percentage as a fraction), without binary-float noise. */
export function shownValue(v: number | boolean, spec: NgsiAttributeSpec): number | boolean {
  if (typeof v === 'boolean' || spec.scale === undefined) return v;
  return Number((v * spec.scale).toPrecision(12));
}

function positionOf(d: Device, model: NgsiModel): { lat: number; lon: number } | undefined {
  if (model.position) {
    const lat = d.latest[model.position.lat]?.v;
    const lon = d.latest[model.position.lon]?.v;
    if (typeof lat === 'number' && typeof lon === 'number') return { lat, lon };
  }
  return d.location;
}

/** The attributes that say when the newest reading was taken, in the model's own terms. */
function observedAttributes(m: Modelled, last: number): Record<string, Attribute> {
  const { model, sensor } = m;
  if (model.observedAs === 'dateObserved') return { dateObserved: prop(iso(last)) };
  if (model.observedAs === 'observationDateTime') return { observationDateTime: prop(iso(last)) };
  const from = iso(last - (model.periodMs ?? sensor.intervalMs));
  return { dateObserved: prop(`${from}/${iso(last)}`), dateObservedFrom: prop(from), dateObservedTo: prop(iso(last)) };
}

/** A device as its model's entity: its newest value of each metric, position, name, district and observation time. */
export function deviceEntity(d: Device, m: Modelled): Entity {
  const { model, sensor } = m;
  const e: Entity = { id: entityId(model.type, d.id), type: model.type };
  for (const [metric, spec] of Object.entries(model.attributes)) {
    const got = d.latest[metric];
    if (!got) continue;
    e[spec.name] = prop(shownValue(got.v, spec), { observedAt: iso(got.t), ...(spec.unitCode ? { unitCode: spec.unitCode } : {}) });
  }
  const position = positionOf(d, model);
  if (position) e.location = { type: 'GeoProperty', value: { type: 'Point', coordinates: [position.lon, position.lat] } };
  if (d.name) e.name = prop(d.name);
  if (d.district) e.address = prop({ district: d.district });
  e.refDevice = { type: 'Relationship', object: entityId('Device', d.id) };
  for (const [name, value] of Object.entries(model.fixed ?? {})) e[name] = prop(value);
  if (model.type === 'DeviceMeasurement') {
    e.deviceType = prop(sensor.type);
    e.controlledProperty = prop([...sensor.metrics.keys()].join(','));
  }
  const times = Object.values(d.latest).map((l) => l.t);
  if (times.length) Object.assign(e, observedAttributes(m, Math.max(...times)));
  return e;
}

/**
 * An alert as an `Alert` entity: category and subCategory from its device type's mapping, severity in the model's
 * terms, the device it is about (`refDevice`, and `alertSource`: that entity's address on this API).
 */
export function alertEntity(a: Alert, m: Modelled, device: Device | undefined, base: string): Entity {
  const { model } = m;
  const e: Entity = { id: entityId('Alert', String(a.id)), type: 'Alert' };
  e.category = prop(model.alert.category);
  if (model.alert.subCategory) e.subCategory = prop(model.alert.subCategory);
  e.severity = prop(NGSI_ALERT_SEVERITY[a.severity] ?? 'informational');
  e.name = prop(a.ruleName);
  e.description = prop(a.message);
  e.dateIssued = prop(iso(a.firedAt));
  e.validFrom = prop(iso(a.firedAt));
  if (a.resolvedAt !== null) e.validTo = prop(iso(a.resolvedAt));
  const source = entityId(model.type, a.deviceId);
  e.alertSource = prop(`${base}/ngsi-ld/v1/entities/${encodeURIComponent(source)}`);
  e.refDevice = { type: 'Relationship', object: source };
  const position = device && positionOf(device, model);
  if (position) e.location = { type: 'GeoProperty', value: { type: 'Point', coordinates: [position.lon, position.lat] } };
  if (a.district) e.address = prop({ district: a.district });
  e.data = prop({ ruleId: a.ruleId, state: a.state, metric: a.metric, value: a.value, threshold: a.threshold, silenced: a.silenced });
  return e;
}

/** The value an attribute stands for in a query or the keyValues form: a Property's value, a Relationship's object. */
export function attributeValue(a: string | Attribute | undefined): unknown {
  if (a === undefined || typeof a === 'string') return a;
  return a.type === 'Relationship' ? a.object : a.value;
}

/** The entity with only `attrs` (all without), in the normalized or the keyValues form. */
export function shape(e: Entity, attrs: ReadonlySet<string> | undefined, keyValues: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = { id: e.id, type: e.type };
  for (const [name, a] of Object.entries(e)) {
    if (name === 'id' || name === 'type' || (attrs && !attrs.has(name))) continue;
    out[name] = keyValues ? attributeValue(a) : a;
  }
  return out;
}
