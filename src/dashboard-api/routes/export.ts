import { z } from 'zod';
import type { ApiDefinition } from '../define.js';
import { exportQuery, exportRowSchema } from '../schemas/index.js';
import { EXPORT_COLUMNS, streamExport, type ExportDeps, type ExportRequest } from '../export-stream.js';
import { queryEvery, queryRange } from '../time.js';

export type ExportRouteDeps = ExportDeps & { now: () => number };

const CONTENT_TYPES = { csv: 'text/csv; charset=utf-8', ndjson: 'application/x-ndjson' } as const;

/** The export request from a validated query; a 400 names the field. */
export function exportRequest(q: z.output<typeof exportQuery>, now: number): ExportRequest {
  const { from, to } = queryRange(q.from, q.to, now);
  const every = queryEvery(q.every, q.agg);
  return {
    filter: { domain: q.domain, type: q.type, district: q.district, deviceId: q.deviceId },
    metric: q.metric, from, to, format: q.format,
    ...(every !== undefined ? { every, agg: q.agg ?? 'mean' } : {}),
  };
}

/** A file name that says what was exported: `citysense-readings-gas-001-20260101T000000Z.csv`. */
function fileName(req: ExportRequest): string {
  const stamp = (t: number) => new Date(t).toISOString().replace(/[-:]|\.\d+/g, '');
  const what = req.filter.deviceId ?? req.filter.district ?? req.filter.type ?? req.filter.domain ?? 'all';
  return `citysense-readings-${what.replace(/[^A-Za-z0-9_.-]/g, '_')}-${stamp(req.from)}-${stamp(req.to)}.${req.format}`;
}

/** GET /api/export/readings: history of a device or a filtered fleet, streamed as CSV or NDJSON (docs/export.md). */
export function exportRoutes(api: ApiDefinition, deps: ExportRouteDeps) {
  const { router, op } = api.router('/api');
  op(
    { method: 'get', path: '/api/export/readings', tag: 'devices', summary: 'Export history as CSV or NDJSON (streamed)', role: 'viewer', query: exportQuery,
      description: `One row per reading and metric, or with \`every\` per bucket and metric (\`agg\`, default mean), columns ${EXPORT_COLUMNS.join(', ')}; ` +
        'devices in id order, each in time order; any length (read from the store a page at a time). CSV per RFC 4180 with a header row. ' +
        'An error after the first row ends the response: NDJSON with a last `{"error": …}` line, CSV by aborting the connection.',
      responses: {
        200: {
          description: 'the rows', contentType: 'text/csv',
          alternatives: [{ contentType: 'application/x-ndjson', schema: exportRowSchema, description: 'with format=ndjson: one such object a line' }],
        },
      },
      errors: [503] },
    async (req, res, { query: q }) => {
      const request = exportRequest(q, deps.now());
      res.status(200);
      res.setHeader('Content-Type', CONTENT_TYPES[request.format]);
      res.setHeader('Content-Disposition', `attachment; filename="${fileName(request)}"`);
      res.setHeader('Cache-Control', 'no-store');
      const started = Date.now();
      const outcome = await streamExport(deps, request, res, req.principal);
      deps.log.info({ token: req.principal?.name, ...outcome, format: request.format, ms: Date.now() - started }, outcome.aborted ? 'history export ended early' : 'history export done');
    },
  );
  return router;
}
