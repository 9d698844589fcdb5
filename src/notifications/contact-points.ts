// Contact points: created, replaced (which enables one a 410 disabled) and deleted; the webhook secret is
// generated when omitted and shown only in the answer to its creation.
import { randomUUID } from 'node:crypto';
import { AppError, conflict, notFound, type Logger } from '../core/index.js';
import type { ContactPoint, NotificationPolicy, NotificationStores } from '../storage/index.js';
import type { ContactPointInput } from './schemas.js';
import { newWebhookSecret } from './sign.js';
import { contactPointView, type ContactPointView } from './view.js';

export interface ContactPointsDeps {
  stores: NotificationStores;
  log: Logger;
  now: () => number;
  smtpUrl?: string;
  /** The policies in force (a contact point one of them names is not deleted). */
  policies(): readonly NotificationPolicy[];
}

export function createContactPoints(deps: ContactPointsDeps) {
  const { stores, log, now } = deps;

  function toContactPoint(input: ContactPointInput, id: string, t: number, prev?: ContactPoint): ContactPoint {
    const base = { id, name: input.name, kind: input.kind, disabledAt: null, disabledReason: null, createdAt: prev?.createdAt ?? t, updatedAt: t };
    if (input.kind === 'email') return { ...base, to: input.to! };
    // A PUT without a secret keeps the one it has: the API never shows it again, so a client cannot send it back.
    const secret = input.secret ?? (prev?.kind === 'webhook' ? prev.secret : undefined);
    return { ...base, url: input.url!, format: input.format ?? 'citysense', ...(secret ? { secret } : {}) };
  }

  function createContactPoint(input: ContactPointInput): { contactPoint: ContactPointView; secret?: string } {
    const t = now();
    const generated = input.kind === 'webhook' && !input.secret ? newWebhookSecret() : undefined;
    const cp = toContactPoint({ ...input, ...(generated ? { secret: generated } : {}) }, input.id ?? randomUUID(), t);
    stores.contactPoints.create(cp);
    if (cp.kind === 'email' && !deps.smtpUrl) log.warn({ contactPointId: cp.id }, 'an email contact point was created but SMTP_URL is not set: its emails cannot be sent');
    log.info({ contactPointId: cp.id, kind: cp.kind, name: cp.name }, 'contact point created');
    return { contactPoint: contactPointView(cp), ...(generated ? { secret: generated } : {}) };
  }

  function updateContactPoint(id: string, input: ContactPointInput): ContactPointView {
    const prev = stores.contactPoints.get(id);
    if (!prev) throw notFound(`contact point ${id}`);
    if (input.id !== undefined && input.id !== id) throw new AppError('bad_request', `body id: ${input.id} differs from the path's ${id}`);
    const cp = toContactPoint(input, id, now(), prev);
    stores.contactPoints.update(cp);
    if (prev.disabledAt !== null) log.info({ contactPointId: id }, 'contact point updated: enabled again');
    return contactPointView(cp);
  }

  function deleteContactPoint(id: string): void {
    if (!stores.contactPoints.get(id)) throw notFound(`contact point ${id}`);
    const user = deps.policies().find((p) => p.contactPoints.includes(id) || p.escalate?.contactPoints.includes(id));
    if (user) throw conflict(`contact point ${id} is used by notification policy ${user.id}: change or delete the policy first`);
    stores.contactPoints.delete(id);
    stores.outbox.failPending(id, 'contact point deleted', now());
  }

  return {
    list: () => stores.contactPoints.list().map(contactPointView),
    get(id: string): ContactPointView {
      const cp = stores.contactPoints.get(id);
      if (!cp) throw notFound(`contact point ${id}`);
      return contactPointView(cp);
    },
    create: createContactPoint,
    update: updateContactPoint,
    delete: deleteContactPoint,
  };
}
