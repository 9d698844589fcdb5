import type { ErrorRequestHandler, RequestHandler } from 'express';
import { z } from 'zod';
import { AppError, type Logger } from '../core/index.js';

/** The one error body of the API: `{"error": {"code", "message", "details"?}}`. */
export function errorBody(code: string, message: string, details?: unknown) {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

const KINDS: Record<string, string> = { string: 'a string', number: 'a number', int: 'a whole number', boolean: 'true or false', object: 'an object', array: 'a list' };

/** What a field takes, for a message about its missing value: its description, enum values, pattern message or kind. */
function takes(iss: z.core.$ZodRawIssue): string {
  const inst = iss.inst as z.ZodType | undefined;
  if (inst?.description) return inst.description;
  if (iss.code === 'invalid_value') return `one of ${iss.values.map((v) => JSON.stringify(v)).join(', ')}`;
  if (iss.code === 'invalid_type' && iss.expected === 'string' && inst) {
    // A pattern's own message ("must be a catalog metric name") says more than "a string".
    const custom = inst.safeParse('').error?.issues.find((i) => i.code === 'invalid_format' && !i.message.startsWith('Invalid'));
    if (custom) return custom.message;
  }
  const expected = iss.code === 'invalid_type' ? String(iss.expected) : '';
  return KINDS[expected] ?? expected;
}

/**
 * zod's messages for a missing field ("Invalid input: expected string, received undefined") and a query number that
 * is not one ("received NaN") replaced by what the field takes; a schema's own messages still win. For API input.
 */
export const inputParseOptions: z.core.ParseContext<z.core.$ZodIssue> = {
  reportInput: true,
  error(iss) {
    if (iss.input === undefined && (iss.code === 'invalid_type' || iss.code === 'invalid_value')) return `required (${takes(iss)})`;
    if (iss.code === 'invalid_type' && iss.expected === 'number' && Number.isNaN(iss.input)) return 'must be a number';
    return undefined;
  },
};

/** Turns a zod failure into a 400 that names the field. */
export function fromZod(err: z.ZodError, where: 'body' | 'query' | 'path'): AppError {
  const issue = err.issues[0]!;
  const field = issue.path.join('.') || where;
  return new AppError('bad_request', `${where} ${field}: ${issue.message}`, 400, err.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
}

export const notFoundRoute: RequestHandler = (req, res) => {
  res.status(404).json(errorBody('not_found', `no route ${req.method} ${req.path}`));
};

/** Maps every error to its status once, at the API's edge. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    if (err instanceof AppError) {
      res.status(err.status).json(errorBody(err.code, err.message, err.details));
      return;
    }
    if (err instanceof z.ZodError) {
      const e = fromZod(err, 'body');
      res.status(400).json(errorBody(e.code, e.message, e.details));
      return;
    }
    // body-parser errors carry a status and a type.
    const status = typeof err?.status === 'number' ? err.status : 500;
    if (status === 413) {
      res.status(413).json(errorBody('payload_too_large', `request body exceeds ${err.limit ?? 'the limit of'} bytes`));
      return;
    }
    if (status === 400 && err?.type === 'entity.parse.failed') {
      res.status(400).json(errorBody('bad_request', 'request body is not valid JSON'));
      return;
    }
    if (status >= 400 && status < 500) {
      res.status(status).json(errorBody('bad_request', String(err?.message ?? 'bad request')));
      return;
    }
    log.error({ err, method: req.method, path: req.path }, 'request failed');
    res.status(500).json(errorBody('internal', 'internal error'));
  };
}
