import type { ErrorRequestHandler, RequestHandler } from 'express';
import { z } from 'zod';
import { AppError, type Logger } from '../core/index.js';

/** The one error body of the API: `{"error": {"code", "message", "details"?}}`. */
export function errorBody(code: string, message: string, details?: unknown) {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

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
