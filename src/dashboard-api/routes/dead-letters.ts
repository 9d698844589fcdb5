import type { DeadLetterSelection } from '../../storage/index.js';
import type { ApiDefinition } from '../define.js';
import { replayAnswerSchema, replayBodySchema, type ReplayAnswer } from '../schemas/index.js';
import { bodyTime } from '../time.js';

export interface DeadLetterRoutesDeps {
  replay: (selection: DeadLetterSelection) => Promise<ReplayAnswer>;
  now: () => number;
}

/** POST /api/dead-letters/replay (docs/contract.md 10). */
export function deadLetterRoutes(api: ApiDefinition, deps: DeadLetterRoutesDeps) {
  const { router, op } = api.router('/api');
  op(
    { method: 'post', path: '/api/dead-letters/replay', tag: 'operations', summary: 'Validate chosen dead letters again and store those that pass', role: 'admin',
      body: replayBodySchema,
      description: 'After a catalog or registration fix: each chosen letter (all, when no filter is given) goes through validation again. Those ' +
        'that pass are stored at their own timestamps and leave the dead letters; the rest stay with the reason they are refused for now. ' +
        'Idempotent: run twice, stored once.',
      responses: { 200: { description: 'what the replay did', schema: replayAnswerSchema } }, errors: [503] },
    async (_req, res, { body }) => {
      const t = deps.now();
      const selection: DeadLetterSelection = { reason: body.reason, deviceId: body.deviceId, from: body.from === undefined ? undefined : bodyTime(body.from, 'from', t), to: body.to === undefined ? undefined : bodyTime(body.to, 'to', t) };
      for (const k of Object.keys(selection) as (keyof DeadLetterSelection)[]) if (selection[k] === undefined) delete selection[k];
      res.json(await deps.replay(selection));
    },
  );
  return router;
}
