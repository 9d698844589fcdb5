// The console's client for notifications (CONTRACT.md section 8): contact points, policies, an alert's deliveries.
import { apiCaller } from './api.js';
import { storedToken } from './session.js';
import type { AlertWithTransitions, ContactPoint, ContactPointCreated, Delivery, NewContactPoint, NewPolicy, NotificationPolicy, TestDelivery } from '../types.js';

export type { ContactPoint, Delivery, NotificationPolicy };

/** Calls with the session's token (kept in sessionStorage), so the pages need no change to the session. */
const call = <T>(method: string, path: string, body?: unknown): Promise<T> => apiCaller(storedToken() ?? '')<T>(method, path, body);

const enc = encodeURIComponent;

export const notifyApi = {
  contactPoints: async () => (await call<{ items: ContactPoint[] }>('GET', '/contact-points')).items,
  createContactPoint: (cp: NewContactPoint) => call<ContactPointCreated>('POST', '/contact-points', cp),
  deleteContactPoint: (id: string) => call<void>('DELETE', `/contact-points/${enc(id)}`),
  testContactPoint: (id: string) => call<TestDelivery>('POST', `/contact-points/${enc(id)}/test`),
  policies: async () => (await call<{ items: NotificationPolicy[] }>('GET', '/notification-policies')).items,
  createPolicy: (p: NewPolicy) => call<NotificationPolicy>('POST', '/notification-policies', p),
  deletePolicy: (id: string) => call<void>('DELETE', `/notification-policies/${enc(id)}`),
  alert: (id: number) => call<AlertWithTransitions>('GET', `/alerts/${id}`),
  deliveries: async (alertId: number) => (await call<{ items: Delivery[] }>('GET', `/alerts/${alertId}/notifications`)).items,
};
