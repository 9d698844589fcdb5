import { z } from 'zod';
import type { Operation } from './define.js';
import { errorSchema } from './schemas/index.js';

type Json = Record<string, unknown>;

const ERROR_TEXT: Record<number, string> = {
  400: 'bad input: the message names the field',
  401: 'missing or invalid bearer token',
  403: 'the token’s role is too low',
  404: 'not found',
  409: 'conflict with the current state',
  413: 'request body too large',
  429: 'too many failed authentications from this address',
  500: 'internal error',
  503: 'a store citysense depends on is unavailable (InfluxDB down, or refusing citysense’s credentials); try again',
};

/**
 * Converts a zod schema to JSON Schema 2020-12 (what OpenAPI 3.1 uses), moving named schemas (`.meta({id})`) into
 * `components.schemas` so that every operation refers to one definition of Device, Alert, ….
 */
function toSchema(schema: z.ZodType, io: 'input' | 'output', components: Json): Json {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
  const defs = (json.$defs ?? {}) as Record<string, Json>;
  delete json.$defs;
  delete json.$schema;
  const rewrite = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(rewrite);
    if (node && typeof node === 'object') {
      const out: Json = {};
      for (const [k, v] of Object.entries(node)) {
        out[k] = k === '$ref' && typeof v === 'string' ? v.replace('#/$defs/', '#/components/schemas/') : rewrite(v);
      }
      return out;
    }
    return node;
  };
  for (const [name, def] of Object.entries(defs)) components[name] = rewrite(def);
  return rewrite(json) as Json;
}

// A request without a body is validated as `{}` (define.ts): the body may be left out exactly when `{}` is valid.
const bodyRequired = (body: z.ZodType) => !body.safeParse({}).success;

/** The OpenAPI 3.1 document of every operation declared through ApiDefinition. */
export function openApiDocument(operations: readonly Operation[], info: { title: string; version: string }): Json {
  const components: Json = {};
  const errorRef = { $ref: '#/components/schemas/Error' };
  toSchema(errorSchema, 'output', components); // registers components.schemas.Error
  const paths: Record<string, Record<string, Json>> = {};

  for (const op of operations) {
    const parameters: Json[] = [];
    for (const m of op.path.matchAll(/\{(\w+)\}/g)) {
      parameters.push({ name: m[1], in: 'path', required: true, schema: { type: 'string' } });
    }
    if (op.query) {
      const q = toSchema(op.query, 'input', components);
      const required = new Set((q.required as string[] | undefined) ?? []);
      for (const [name, schema] of Object.entries((q.properties ?? {}) as Record<string, Json>)) {
        const { description, ...rest } = schema;
        parameters.push({ name, in: 'query', required: required.has(name), schema: rest, ...(description ? { description } : {}) });
      }
    }
    const responses: Json = {};
    for (const [status, r] of Object.entries(op.responses)) {
      const contentType = r.contentType ?? (r.schema ? 'application/json' : undefined);
      const content: Json = {};
      const media = (schema?: z.ZodType, description?: string) => ({ ...(schema ? { schema: toSchema(schema, 'output', components) } : {}), ...(description ? { description } : {}) });
      if (contentType) content[contentType] = media(r.schema);
      for (const alt of r.alternatives ?? []) content[alt.contentType] = media(alt.schema, alt.description);
      responses[status] = { description: r.description, ...(Object.keys(content).length ? { content } : {}) };
    }
    const errors = new Set<number>(op.errors ?? []);
    if (op.role) [401, 403].forEach((s) => errors.add(s));
    if (op.query || op.body) errors.add(400);
    // Every body passes express.json's 1 MB limit first.
    if (op.body) errors.add(413);
    if (op.path.startsWith('/api/')) errors.add(429);
    for (const status of [...errors].sort()) responses[status] = { description: ERROR_TEXT[status] ?? 'error', content: { 'application/json': { schema: errorRef } } };

    (paths[op.path] ??= {})[op.method] = {
      operationId: `${op.method}${op.path.replace(/\{(\w+)\}/g, 'By_$1').replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase())}`,
      tags: [op.tag],
      summary: op.summary,
      ...(op.description ? { description: op.description } : {}),
      ...(op.role ? { security: [{ bearer: [] }], 'x-role': op.role } : { security: [] }),
      ...(parameters.length ? { parameters } : {}),
      ...(op.body ? { requestBody: { required: bodyRequired(op.body), content: { 'application/json': { schema: toSchema(op.body, 'input', components) } } } } : {}),
      responses,
    };
  }
  for (const schema of Object.values(components)) delete (schema as Json).id;

  return {
    openapi: '3.1.0',
    info: { ...info, description: 'citysense: one ingestion and monitoring backbone for a city’s sensor fleets. Roles: viewer < operator < admin (x-role names the least role an operation needs).' },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    tags: ['devices', 'alerts', 'rules', 'silences', 'notifications', 'tokens', 'catalog', 'operations'].map((name) => ({ name })),
    paths,
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } }, schemas: components },
  };
}
