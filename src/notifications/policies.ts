// Notification policies, checked as rules are: an unknown contact point or rule is a 400 naming the field. The
// list is kept in memory for the record hook, which runs inside every transition's transaction.
import { randomUUID } from 'node:crypto';
import { AppError, notFound, type Logger } from '../core/index.js';
import type { NotificationPolicy, NotificationStores } from '../storage/index.js';
import { DEFAULT_ON } from './plan.js';
import type { PolicyInput } from './schemas.js';
import { policyView, type PolicyView } from './view.js';

export interface PoliciesDeps {
  stores: NotificationStores;
  log: Logger;
  now: () => number;
  ruleExists(id: string): boolean;
}

export function createPolicies(deps: PoliciesDeps) {
  const { stores, log, now } = deps;
  let policies: NotificationPolicy[] = stores.policies.list();

  function checkPolicy(input: PolicyInput): void {
    input.contactPoints.forEach((cp, i) => {
      if (!stores.contactPoints.get(cp)) throw new AppError('bad_request', `body contactPoints[${i}]: no contact point ${cp}`);
    });
    input.escalate?.contactPoints.forEach((cp, i) => {
      if (!stores.contactPoints.get(cp)) throw new AppError('bad_request', `body escalate.contactPoints[${i}]: no contact point ${cp}`);
    });
    if (input.match.ruleId !== undefined && !deps.ruleExists(input.match.ruleId)) throw new AppError('bad_request', `body match.ruleId: no rule ${input.match.ruleId}`);
  }

  function toPolicy(input: PolicyInput, id: string, t: number, prev?: NotificationPolicy): NotificationPolicy {
    const match = Object.fromEntries(Object.entries(input.match).filter(([, v]) => v !== undefined));
    return {
      id, name: input.name, match, contactPoints: input.contactPoints, on: input.on ?? [...DEFAULT_ON],
      ...(input.repeatEvery ? { repeatEvery: input.repeatEvery } : {}), ...(input.escalate ? { escalate: input.escalate } : {}),
      createdAt: prev?.createdAt ?? t, updatedAt: t,
    };
  }

  const reload = () => { policies = stores.policies.list(); };

  function createPolicy(input: PolicyInput): PolicyView {
    checkPolicy(input);
    const p = toPolicy(input, input.id ?? randomUUID(), now());
    stores.policies.create(p);
    reload();
    log.info({ policyId: p.id, name: p.name, contactPoints: p.contactPoints }, 'notification policy created');
    return policyView(p);
  }

  function updatePolicy(id: string, input: PolicyInput): PolicyView {
    const prev = stores.policies.get(id);
    if (!prev) throw notFound(`notification policy ${id}`);
    if (input.id !== undefined && input.id !== id) throw new AppError('bad_request', `body id: ${input.id} differs from the path's ${id}`);
    checkPolicy(input);
    const p = toPolicy(input, id, now(), prev);
    stores.policies.update(p);
    reload();
    return policyView(p);
  }

  function deletePolicy(id: string): void {
    if (!stores.policies.delete(id)) throw notFound(`notification policy ${id}`);
    reload();
  }

  return {
    /** The policies in force, in creation order (the record hook reads them). */
    current: (): readonly NotificationPolicy[] => policies,
    list: () => policies.map(policyView),
    get(id: string): PolicyView {
      const p = stores.policies.get(id);
      if (!p) throw notFound(`notification policy ${id}`);
      return policyView(p);
    },
    create: createPolicy,
    update: updatePolicy,
    delete: deletePolicy,
  };
}
