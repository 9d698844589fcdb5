import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Catalog, Logger } from '../core/index.js';
import type { DeviceRegistry, ReadingStore } from '../storage/index.js';
import { createModels, entityId, parseEntityId, shape, type Entity } from './entities.js';
import { parseGeoQuery } from './geo.js';
import { entitiesQuery, entityQuery, list, parseOptions, parseQuery, temporalQuery, typesQuery } from './params.js';
import { badRequestData, notServed, problemHandler, resourceNotFound } from './problem.js';
import { compileQ } from './q.js';
import { findEntity, selectEntities, visibleTypes, type AlertSource, type SelectDeps } from './select.js';
import { temporalAttributes, temporalRequest } from './temporal.js';

export interface NgsiLdDeps {
  catalog: Catalog;
  /** Devices as device status sees them (latest values not written to the registry yet included). */
  registry: Pick<DeviceRegistry, 'get' | 'list'>;
  readings: ReadingStore;
  alerts: AlertSource;
  /** Run before every /ngsi-ld/v1 route: the REST API's token authentication and role check. */
  guard: RequestHandler[];
  /** Whether the caller may see a device or an alert: the REST API's scope function. */
  visible: SelectDeps['visible'];
  log: Logger;
  now: () => number;
}

/** The JSON-LD @context file served at /ngsi-ld/context.jsonld, whether this module runs from dist/ or from src/. */
export function contextFile(): string {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  return basename(root) === 'dist' ? join(root, '..', 'src', 'ngsi-ld', 'context.jsonld') : join(root, 'src', 'ngsi-ld', 'context.jsonld');
}

const CONTEXT_PATH = '/ngsi-ld/context.jsonld';
const ENTITY_OPTIONS = ['keyValues', 'normalized', 'count'] as const;

/** This server's address as the request reached it (the @context and alert sources are named by it). */
const baseUrl = (req: Request) => `${req.protocol}://${req.get('host') ?? 'localhost'}`;

/**
 * Answers JSON with the @context in a Link header, or JSON-LD with the @context in the body when the client
 * accepts application/ld+json (NGSI-LD's two forms).
 */
function respond(req: Request, res: Response, body: Record<string, unknown> | Record<string, unknown>[]): void {
  const context = `${baseUrl(req)}${CONTEXT_PATH}`;
  if (req.accepts(['application/json', 'application/ld+json']) === 'application/ld+json') {
    const withContext = (o: Record<string, unknown>) => ({ ...o, '@context': context });
    res.type('application/ld+json').send(JSON.stringify(Array.isArray(body) ? body.map(withContext) : withContext(body)));
    return;
  }
  res.setHeader('Link', `<${context}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`);
  res.type('application/json').send(JSON.stringify(body));
}

const label = (route: string): RequestHandler => (_req, res, next) => {
  res.locals.route = route;
  next();
};

/** The NGSI-LD API (docs/ngsi-ld.md), mounted at /ngsi-ld: entities, types, temporal history, and its @context. */
export function createNgsiLdApi(deps: NgsiLdDeps): Router {
  const models = createModels(deps.catalog);
  const select: SelectDeps = { registry: deps.registry, alerts: deps.alerts, models, visible: deps.visible };
  const context = readFileSync(contextFile(), 'utf8');
  const router = Router();

  router.get('/context.jsonld', label(CONTEXT_PATH), (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.type('application/ld+json').send(context);
  });
  router.use('/v1', ...deps.guard);

  router.get('/v1/entities', label('/ngsi-ld/v1/entities'), (req, res) => {
    const q = parseQuery(entitiesQuery, req.query);
    const options = parseOptions(q.options, ENTITY_OPTIONS);
    const near = parseGeoQuery(q);
    const types = list(q.type)?.map((t) => t.replace(/^https:\/\/smartdatamodels\.org\/dataModel\.[A-Za-z]+\//, ''));
    const ids = list(q.id);
    const attrs = list(q.attrs);
    if (!types && !ids && !attrs && !q.q && !near) {
      throw badRequestData('query: give at least one of type, id, attrs, q or georel (NGSI-LD does not list every entity at once)');
    }
    const count = q.count === 'true' || options.has('count');
    const found = selectEntities(
      select, req,
      { types: types && new Set(types), ids, attrs: attrs && new Set(attrs), q: q.q ? compileQ(q.q) : undefined, near },
      { offset: q.offset, limit: q.limit, count }, baseUrl(req),
    );
    if (found.total !== undefined) res.setHeader('NGSILD-Results-Count', String(found.total));
    respond(req, res, found.items.map((e) => shape(e, attrs && new Set(attrs), options.has('keyValues'))));
  });

  router.get('/v1/entities/:id', label('/ngsi-ld/v1/entities/{id}'), (req, res) => {
    const q = parseQuery(entityQuery, req.query);
    const options = parseOptions(q.options, ENTITY_OPTIONS);
    const id = String(req.params.id);
    const e = findEntity(select, req, id, baseUrl(req));
    if (!e) throw notFoundEntity(id);
    const attrs = list(q.attrs);
    respond(req, res, shape(e, attrs && new Set(attrs), options.has('keyValues')));
  });

  router.get('/v1/types', label('/ngsi-ld/v1/types'), (req, res) => {
    const q = parseQuery(typesQuery, req.query);
    const found = visibleTypes(select, req, baseUrl(req));
    if (q.details === 'true') {
      respond(req, res, [...found].map(([name, attrs]) => ({ id: models.typeIri(name), type: 'EntityType', typeName: name, attributeNames: [...attrs].sort() })));
      return;
    }
    respond(req, res, { id: 'urn:ngsi-ld:EntityTypeList:citysense', type: 'EntityTypeList', typeList: [...found.keys()] });
  });

  router.get('/v1/temporal/entities/:id', label('/ngsi-ld/v1/temporal/entities/{id}'), async (req, res) => {
    const q = parseQuery(temporalQuery, req.query);
    const id = String(req.params.id);
    const parsed = parseEntityId(id);
    const d = parsed && parsed.type !== 'Alert' ? deps.registry.get(parsed.local) : undefined;
    const m = d && models.of(d.domain, d.type);
    if (!d || !m || m.model.type !== parsed?.type || !deps.visible(req, d)) throw notFoundEntity(id);
    const request = temporalRequest(q, m, deps.now());
    const entity: Entity = { id: entityId(m.model.type, d.id), type: m.model.type };
    respond(req, res, { ...entity, ...(await temporalAttributes(deps.readings, d.id, request)) });
  });

  router.use(notServed);
  router.use(problemHandler(deps.log));
  return router;
}

function notFoundEntity(id: string) {
  return resourceNotFound(`entity ${id} not found (ids are urn:ngsi-ld:{Type}:{deviceId} and urn:ngsi-ld:Alert:{alertId}; GET /ngsi-ld/v1/types lists the types)`);
}
