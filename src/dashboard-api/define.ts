import { Router, type Request, type Response } from 'express';
import type { z } from 'zod';
import type { Role } from '../storage/index.js';
import { requireRole, type Authenticate } from './auth.js';
import { fromZod, inputParseOptions } from './errors.js';
import { labelRoute } from './request-metrics.js';

type Method = 'get' | 'post' | 'put' | 'delete';
type Schema = z.ZodType | undefined;
type Out<S extends Schema> = S extends z.ZodType ? z.output<S> : undefined;

export interface ResponseSpec {
  description: string;
  /** The JSON body; absent for 204 and for non-JSON bodies. */
  schema?: z.ZodType;
  /** Defaults to application/json when `schema` is given. */
  contentType?: string;
  /** Other media types the same answer may come as (the `format` a query asks for), each with its schema if any. */
  alternatives?: { contentType: string; schema?: z.ZodType; description?: string }[];
}

/** One API operation: how it is routed, who may call it, what it takes and answers. Documented in /api/openapi.json. */
export interface Operation<Q extends Schema = Schema, B extends Schema = Schema> {
  method: Method;
  /** Full path in OpenAPI form: `/api/devices/{id}`. */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  /** The least role allowed; absent: no token needed. */
  role?: Role;
  query?: Q;
  body?: B;
  responses: Record<number, ResponseSpec>;
  /** Error statuses this operation can answer besides the generic ones (401/403 with a role, 400 with input, 413 with a body, 429, 500). */
  errors?: number[];
}

export interface Input<Q extends Schema, B extends Schema> {
  query: Out<Q>;
  body: Out<B>;
  params: Record<string, string>;
}

export type Handler<Q extends Schema, B extends Schema> = (req: Request, res: Response, input: Input<Q, B>) => unknown;

/**
 * Routes and their documentation from one declaration: each `op()` both registers the Express handler (with its
 * role check and input validation by the operation's zod schemas) and records the operation for the OpenAPI
 * document, so the two cannot drift.
 */
export class ApiDefinition {
  readonly operations: Operation[] = [];

  constructor(private readonly authenticate: Authenticate) {}

  /** A router for operations whose paths start with `prefix` (where it will be mounted). */
  router(prefix: string): { router: Router; op: <Q extends Schema = undefined, B extends Schema = undefined>(spec: Operation<Q, B>, handler: Handler<Q, B>) => void } {
    const router = Router();
    const op = <Q extends Schema = undefined, B extends Schema = undefined>(spec: Operation<Q, B>, handler: Handler<Q, B>) => {
      if (!spec.path.startsWith(prefix)) throw new Error(`operation ${spec.path} is not under ${prefix}`);
      this.operations.push(spec as Operation);
      const expressPath = spec.path.slice(prefix.length).replace(/\{(\w+)\}/g, ':$1') || '/';
      const guards = spec.role ? [requireRole(this.authenticate, spec.role)] : [];
      const named = (_req: Request, res: Response, next: () => void) => { labelRoute(res, spec.path); next(); };
      router[spec.method](expressPath, named, ...guards, async (req: Request, res: Response) => {
        const input = {
          query: parse(spec.query, req.query, 'query'),
          body: parse(spec.body, req.body ?? {}, 'body'),
          params: req.params as Record<string, string>,
        } as Input<Q, B>;
        await handler(req, res, input);
      });
    };
    return { router, op };
  }
}

function parse(schema: z.ZodType | undefined, value: unknown, where: 'query' | 'body'): unknown {
  if (!schema) return undefined;
  const r = schema.safeParse(value, inputParseOptions);
  if (!r.success) throw fromZod(r.error, where);
  return r.data;
}
