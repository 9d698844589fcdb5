import type { Request } from 'express';
import type { z } from 'zod';
import { fromZod } from './errors.js';

/** Parses the request body with a zod schema; a failure is a 400 naming the field. */
export function body<S extends z.ZodType>(req: Request, schema: S): z.output<S> {
  const r = schema.safeParse(req.body ?? {});
  if (!r.success) throw fromZod(r.error, 'body');
  return r.data;
}

/** Parses the query string with a zod schema; a failure is a 400 naming the parameter. */
export function query<S extends z.ZodType>(req: Request, schema: S): z.output<S> {
  const r = schema.safeParse(req.query);
  if (!r.success) throw fromZod(r.error, 'query');
  return r.data;
}
