import type { Request } from 'express';
import type { Alert } from '../core/index.js';
import type { Device, DeviceRegistry } from '../storage/index.js';
import { alertEntity, deviceEntity, parseEntityId, type Entity, type Modelled, type Models } from './entities.js';
import { isNear, type NearQuery } from './geo.js';
import type { EntityPredicate } from './q.js';

/** The alerts the API shows: the open ones listed, any one by id (the alert engine gives both). */
export interface AlertSource {
  activeAlerts(): Alert[];
  getAlert(id: number): Alert | undefined;
}

/** What a scope is checked against: a device's or an alert's domain and district. */
export interface ScopedThing {
  domain: string;
  district?: string | null;
}

export interface SelectDeps {
  registry: Pick<DeviceRegistry, 'get' | 'list'>;
  alerts: AlertSource;
  models: Models;
  /** Whether the caller may see the device or alert (the REST API's scope function). */
  visible: (req: Request, thing: ScopedThing) => boolean;
}

/** Which entities a query asks for. */
export interface EntityFilter {
  /** Entity types (short names); absent: all. */
  types?: ReadonlySet<string>;
  ids?: readonly string[];
  /** Entities that have at least one of these attributes. */
  attrs?: ReadonlySet<string>;
  q?: EntityPredicate;
  near?: NearQuery;
}

const PAGE = 500;

function matches(e: Entity, f: EntityFilter): boolean {
  if (f.attrs && ![...f.attrs].some((a) => e[a] !== undefined)) return false;
  if (f.near && !isNear(e, f.near)) return false;
  return !f.q || f.q(e);
}

/** One entity by id, when it exists and the caller may see it. */
export function findEntity(deps: SelectDeps, req: Request, id: string, base: string): Entity | undefined {
  const parsed = parseEntityId(id);
  if (!parsed) return undefined;
  if (parsed.type === 'Alert') {
    const a = /^\d{1,15}$/.test(parsed.local) ? deps.alerts.getAlert(Number(parsed.local)) : undefined;
    if (!a || !deps.visible(req, a)) return undefined;
    return alertEntity(a, deps.models.of(a.domain, a.type), deps.registry.get(a.deviceId), base);
  }
  const d = deps.registry.get(parsed.local);
  if (!d || !deps.visible(req, d)) return undefined;
  const m = deps.models.of(d.domain, d.type);
  return m.model.type === parsed.type ? deviceEntity(d, m) : undefined;
}

/** The devices of one catalog type in the caller's scope, by id, as entities. */
function* devicesOf(deps: SelectDeps, req: Request, m: Modelled): Generator<Entity> {
  let after: string | undefined;
  for (;;) {
    const rows: Device[] = deps.registry.list({ domain: m.sensor.domain, type: m.sensor.type, after, limit: PAGE });
    for (const d of rows) if (deps.visible(req, d)) yield deviceEntity(d, m);
    if (rows.length < PAGE) return;
    after = rows[rows.length - 1]!.id;
  }
}

/** Devices of the catalog types whose model is among `types` (all without), in catalog order. */
function* devices(deps: SelectDeps, req: Request, types: ReadonlySet<string> | undefined): Generator<Entity> {
  for (const m of deps.models.all) if (!types || types.has(m.model.type)) yield* devicesOf(deps, req, m);
}

function* candidates(deps: SelectDeps, req: Request, f: EntityFilter, base: string): Generator<Entity> {
  if (f.ids) {
    for (const id of f.ids) {
      const e = findEntity(deps, req, id, base);
      if (e && (!f.types || f.types.has(e.type))) yield e;
    }
    return;
  }
  yield* devices(deps, req, f.types);
  if (f.types && !f.types.has('Alert')) return;
  const open = deps.alerts.activeAlerts().filter((a) => deps.visible(req, a)).sort((a, b) => a.id - b.id);
  for (const a of open) yield alertEntity(a, deps.models.of(a.domain, a.type), deps.registry.get(a.deviceId), base);
}

/**
 * The page `offset`…`offset + limit` of the entities that pass the filter; with `count`, also how many pass in all
 * (which reads every candidate, as a geo-query or `q` does anyway).
 */
export function selectEntities(
  deps: SelectDeps, req: Request, f: EntityFilter, page: { offset: number; limit: number; count: boolean }, base: string,
): { items: Entity[]; total?: number } {
  const items: Entity[] = [];
  let seen = 0;
  for (const e of candidates(deps, req, f, base)) {
    if (!matches(e, f)) continue;
    if (seen >= page.offset && items.length < page.limit) items.push(e);
    seen++;
    if (!page.count && items.length >= page.limit) break;
  }
  return page.count ? { items, total: seen } : { items };
}

/** The entity types the caller can see entities of, each with the attribute names they have. */
export function visibleTypes(deps: SelectDeps, req: Request, base: string): Map<string, Set<string>> {
  const types = new Map<string, Set<string>>();
  const note = (e: Entity) => {
    const names = types.get(e.type) ?? new Set<string>();
    for (const k of Object.keys(e)) if (k !== 'id' && k !== 'type') names.add(k);
    types.set(e.type, names);
  };
  for (const m of deps.models.all) {
    // One visible device makes the type present; its attributes are the model's, whatever that device sent.
    const first = devicesOf(deps, req, m).next();
    if (first.done) continue;
    note(first.value);
    const names = types.get(m.model.type)!;
    for (const a of Object.values(m.model.attributes)) names.add(a.name);
  }
  for (const e of candidates(deps, req, { types: new Set(['Alert']) }, base)) note(e);
  return types;
}
