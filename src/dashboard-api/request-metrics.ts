import type { RequestHandler, Response } from 'express';
import { Histogram, type Registry } from 'prom-client';

/** The `route` label of requests answered before any route matched (429, 413, a bad JSON body, 404). */
export const UNMATCHED_ROUTE = 'unmatched';
/** The `route` label of the operator console's static files. */
export const CONSOLE_ROUTE = 'console';

/** Names the route a request matched (its OpenAPI path, e.g. `/api/devices/{id}`), for the duration histogram. */
export function labelRoute(res: Response, route: string): void {
  res.locals.route = route;
}

/**
 * Express middleware, first in the chain: observes each request's duration by method, route pattern (never the
 * raw path, whose ids would make a series per device) and status once its response is sent.
 */
export function requestMetrics(registry: Registry): RequestHandler {
  const duration = new Histogram({
    name: 'citysense_http_request_duration_seconds',
    help: 'HTTP request duration until the response is sent, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return (req, res, next) => {
    const end = duration.startTimer();
    res.once('finish', () => {
      const route = typeof res.locals.route === 'string' ? res.locals.route : UNMATCHED_ROUTE;
      end({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };
}
