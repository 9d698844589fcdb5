import { notFound } from '../../core/index.js';
import type { AlertEngine } from '../../alerts/index.js';
import type { Notifications } from '../../notifications/index.js';
import type { ApiDefinition } from '../define.js';
import {
  contactPointCreatedSchema, contactPointInputSchema, contactPointSchema, deliverySchema, list, policyInputSchema, policySchema, testDeliverySchema,
} from '../schemas/index.js';

export interface NotificationsRoutesDeps {
  notifications: Notifications;
  engine: AlertEngine;
}

const id = (v: string | undefined) => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw notFound(`alert ${v}`);
  return n;
};

/** Contact points, notification policies and each alert's deliveries (docs/contract.md section 8). */
export function notificationsRoutes(api: ApiDefinition, deps: NotificationsRoutesDeps) {
  const { notifications: n, engine } = deps;
  const { router, op } = api.router('/api');

  op({ method: 'get', path: '/api/contact-points', tag: 'notifications', summary: 'List contact points', role: 'viewer',
    responses: { 200: { description: 'every contact point (secrets are never shown)', schema: list(contactPointSchema) } } },
  (_req, res) => { res.json({ items: n.listContactPoints() }); });
  op({ method: 'get', path: '/api/contact-points/{id}', tag: 'notifications', summary: 'One contact point', role: 'viewer',
    responses: { 200: { description: 'the contact point', schema: contactPointSchema } }, errors: [404] },
  (_req, res, { params }) => { res.json(n.getContactPoint(params.id!)); });
  op({ method: 'post', path: '/api/contact-points', tag: 'notifications', summary: 'Create a contact point', role: 'admin', body: contactPointInputSchema,
    description: 'A webhook without `secret` gets a generated Standard Webhooks key, returned here as `secret` and never again.',
    responses: { 201: { description: 'created', schema: contactPointCreatedSchema } }, errors: [409] },
  (_req, res, { body }) => {
    const { contactPoint, secret } = n.createContactPoint(body);
    res.status(201).location(`/api/contact-points/${encodeURIComponent(contactPoint.id)}`).json({ ...contactPoint, ...(secret ? { secret } : {}) });
  });
  op({ method: 'put', path: '/api/contact-points/{id}', tag: 'notifications', summary: 'Replace a contact point (enables a disabled one)', role: 'admin', body: contactPointInputSchema,
    description: 'Without `secret`, a webhook keeps the key it has.',
    responses: { 200: { description: 'the contact point as stored', schema: contactPointSchema } }, errors: [404] },
  (_req, res, { params, body }) => { res.json(n.updateContactPoint(params.id!, body)); });
  op({ method: 'delete', path: '/api/contact-points/{id}', tag: 'notifications', summary: 'Delete a contact point', role: 'admin',
    description: 'Refused (409) while a policy names it; its pending deliveries end as failed.',
    responses: { 204: { description: 'deleted' } }, errors: [404, 409] },
  (_req, res, { params }) => { n.deleteContactPoint(params.id!); res.status(204).end(); });
  op({ method: 'post', path: '/api/contact-points/{id}/test', tag: 'notifications', summary: 'Send a test notification now', role: 'admin',
    responses: { 200: { description: "the delivery's outcome", schema: testDeliverySchema } }, errors: [404] },
  async (_req, res, { params }) => { res.json(await n.testContactPoint(params.id!)); });

  op({ method: 'get', path: '/api/notification-policies', tag: 'notifications', summary: 'List notification policies', role: 'viewer',
    responses: { 200: { description: 'every policy, in creation order', schema: list(policySchema) } } },
  (_req, res) => { res.json({ items: n.listPolicies() }); });
  op({ method: 'get', path: '/api/notification-policies/{id}', tag: 'notifications', summary: 'One notification policy', role: 'viewer',
    responses: { 200: { description: 'the policy', schema: policySchema } }, errors: [404] },
  (_req, res, { params }) => { res.json(n.getPolicy(params.id!)); });
  op({ method: 'post', path: '/api/notification-policies', tag: 'notifications', summary: 'Create a notification policy', role: 'admin', body: policyInputSchema,
    description: 'An unknown contact point or rule is a 400 naming the field. `on` defaults to fired and resolved.',
    responses: { 201: { description: 'created', schema: policySchema } }, errors: [409] },
  (_req, res, { body }) => {
    const p = n.createPolicy(body);
    res.status(201).location(`/api/notification-policies/${encodeURIComponent(p.id)}`).json(p);
  });
  op({ method: 'put', path: '/api/notification-policies/{id}', tag: 'notifications', summary: 'Replace a notification policy', role: 'admin', body: policyInputSchema,
    responses: { 200: { description: 'the policy as stored', schema: policySchema } }, errors: [404] },
  (_req, res, { params, body }) => { res.json(n.updatePolicy(params.id!, body)); });
  op({ method: 'delete', path: '/api/notification-policies/{id}', tag: 'notifications', summary: 'Delete a notification policy', role: 'admin',
    responses: { 204: { description: 'deleted' } }, errors: [404] },
  (_req, res, { params }) => { n.deletePolicy(params.id!); res.status(204).end(); });

  op({ method: 'get', path: '/api/alerts/{id}/notifications', tag: 'alerts', summary: "An alert's notification deliveries", role: 'viewer',
    description: 'One entry per try (a failed try that will be retried is `pending`); a delivery not yet tried shows as `attempt` 0.',
    responses: { 200: { description: 'the deliveries, oldest first', schema: list(deliverySchema) } }, errors: [404] },
  (_req, res, { params }) => {
    const alertId = id(params.id);
    if (!engine.getAlert(alertId)) throw notFound(`alert ${alertId}`);
    res.json({ items: n.deliveriesFor(alertId) });
  });

  return router;
}
