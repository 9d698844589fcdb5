// The pieces the API's bodies are built of: times, values, pages, errors, scopes, credits.
import { z } from 'zod';

export const time = z.string().describe('RFC 3339 time');
export const value = z.union([z.number(), z.boolean()]);
/** A short name in a body or query (a domain, type, district, device id of a filter). */
export const label = z.string().trim().min(1).max(100);
/** A time in a body: RFC 3339, epoch ms, `now` or relative (`-1d`); read by time.ts `bodyTime`. */
export const timeInput = z.union([z.string(), z.number()]);
export const METRIC_NAME = /^[a-z][a-z0-9_]{0,63}$/;

export const errorSchema = z
  .object({ error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }) })
  .meta({ id: 'Error' });
export type ApiErrorBody = z.infer<typeof errorSchema>;

/** `{items, nextCursor?}`: nextCursor is absent on the last page. */
export const page = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().optional() });
/** `{items}`: a whole list in one answer. */
export const list = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });
/** The `{items, nextCursor?}` of a paged list. */
export type Page<T> = { items: T[]; nextCursor?: string };

/** `limit` and `cursor` of a paged list's query. */
export const pageLimit = z.coerce.number().int().min(1).max(1000).default(100);

const scopeNames = z.array(z.string().trim().min(1).max(100)).min(1).max(100);
export const scopeSchema = z
  .strictObject({
    domains: scopeNames.optional().describe('only devices of these domains'),
    districts: scopeNames.optional().describe('only devices in these districts'),
  })
  .refine((s) => s.domains !== undefined || s.districts !== undefined, 'a scope names domains, districts or both')
  .meta({ id: 'Scope', description: 'What a user or token sees and acts on; absent: everything (the operations centre).' });
export type Scope = z.infer<typeof scopeSchema>;

export const creditSchema = z.object({ id: z.string().describe('a user id, or token:{id} for an API token'), name: z.string() }).meta({ id: 'Credit' });
