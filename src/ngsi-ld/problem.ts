import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, type Logger } from '../core/index.js';

/** The NGSI-LD error types this API answers with (ETSI GS CIM 009, "Error types"). */
const ERRORS = 'https://uri.etsi.org/ngsi-ld/errors/';
const TYPE_BY_STATUS: Record<number, string> = {
  400: `${ERRORS}BadRequestData`,
  403: 'about:blank',
  404: `${ERRORS}ResourceNotFound`,
  405: `${ERRORS}OperationNotSupported`,
  500: `${ERRORS}InternalError`,
};
const TITLES: Record<number, string> = {
  400: 'Bad request data', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Resource not found', 405: 'Operation not supported',
  413: 'Payload too large', 429: 'Too many requests', 500: 'Internal error',
};

/** An NGSI-LD error with its own type (TooManyResults, …); others get theirs from the status. */
export class NgsiError extends AppError {
  constructor(readonly problemType: string, message: string, status: number) {
    super('ngsi_ld', message, status);
  }
}

export const badRequestData = (message: string) => new NgsiError(`${ERRORS}BadRequestData`, message, 400);
export const resourceNotFound = (message: string) => new NgsiError(`${ERRORS}ResourceNotFound`, message, 404);
export const tooManyResults = (message: string) => new NgsiError(`${ERRORS}TooManyResults`, message, 403);

function send(res: Parameters<RequestHandler>[1], status: number, type: string, detail: string): void {
  res.status(status).type('application/problem+json').send(JSON.stringify({ type, title: TITLES[status] ?? 'Error', status, detail }));
}

/** Every error under /ngsi-ld as RFC 7807 ProblemDetails with the NGSI-LD error type (`application/problem+json`). */
export function problemHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    if (err instanceof NgsiError) return send(res, err.status, err.problemType, err.message);
    if (err instanceof AppError) return send(res, err.status, TYPE_BY_STATUS[err.status] ?? 'about:blank', err.message);
    const status = typeof err?.status === 'number' && err.status >= 400 && err.status < 500 ? err.status : 500;
    if (status < 500) return send(res, status, TYPE_BY_STATUS[status] ?? 'about:blank', String(err?.message ?? 'bad request'));
    log.error({ err, method: req.method, path: req.path }, 'NGSI-LD request failed');
    send(res, 500, TYPE_BY_STATUS[500]!, 'internal error');
  };
}

/** Anything but the read operations this API has: 405 for a known path's other methods, 404 for an unknown path. */
export const notServed: RequestHandler = (req, res) => {
  res.locals.route = 'unmatched';
  if (req.method !== 'GET' && req.method !== 'HEAD' && /^\/v1\/(entities|types|temporal\/entities)(\/|$)/.test(req.path)) {
    return send(res, 405, TYPE_BY_STATUS[405]!, `${req.method} ${req.baseUrl}${req.path}: this NGSI-LD API is read-only (GET)`);
  }
  send(res, 404, TYPE_BY_STATUS[404]!, `no NGSI-LD resource ${req.method} ${req.baseUrl}${req.path}`);
};
