// The console's client for notifications (CONTRACT.md section 8): contact points, policies, an alert's deliveries.
import { ApiError } from './api.js';
import { storedToken } from './session.js';
import type { Alert } from '../types.js';

export interface ContactPoint {
  id: string;
  name: string;
  kind: 'webhook' | 'email';
  url?: string;
  format?: 'citysense' | 'alertmanager' | 'slack';
  secretSet?: boolean;
  to?: string[];
  disabled: boolean;
  disabledAt: string | null;
  disabledReason: string | null;
}

export interface NotificationPolicy {
  id: string;
  name: string;
  match: { domain?: string; type?: string; district?: string; deviceId?: string; ruleId?: string; severity?: string[] };
  contactPoints: string[];
  on: string[];
  repeatEvery?: string;
  escalate?: { after: string; contactPoints: string[] };
}

export interface Delivery {
  id: string;
  contactPointId: string;
  kind: string;
  transition: string;
  attempt: number;
  status: 'pending' | 'delivered' | 'failed';
  httpStatus?: number;
  error?: string;
  createdAt: string;
  at?: string;
  deliveredAt?: string;
  nextAt?: string;
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`api${path}`, {
      method,
      headers: { authorization: `Bearer ${storedToken() ?? ''}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network', 'the server cannot be reached');
  }
  if (res.status === 204) return undefined as T;
  const data = await res.json().catch(() => undefined);
  if (!res.ok) {
    const err = (data as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(res.status, err?.code ?? 'error', err?.message ?? `${method} ${path}: HTTP ${res.status}`);
  }
  return data as T;
}

const enc = encodeURIComponent;

export const notifyApi = {
  contactPoints: async () => (await call<{ items: ContactPoint[] }>('GET', '/contact-points')).items,
  createContactPoint: (cp: Record<string, unknown>) => call<ContactPoint & { secret?: string }>('POST', '/contact-points', cp),
  deleteContactPoint: (id: string) => call<void>('DELETE', `/contact-points/${enc(id)}`),
  testContactPoint: (id: string) => call<Delivery & { delivered: boolean }>('POST', `/contact-points/${enc(id)}/test`),
  policies: async () => (await call<{ items: NotificationPolicy[] }>('GET', '/notification-policies')).items,
  createPolicy: (p: Record<string, unknown>) => call<NotificationPolicy>('POST', '/notification-policies', p),
  deletePolicy: (id: string) => call<void>('DELETE', `/notification-policies/${enc(id)}`),
  alert: (id: number) => call<Alert>('GET', `/alerts/${id}`),
  deliveries: async (alertId: number) => (await call<{ items: Delivery[] }>('GET', `/alerts/${alertId}/notifications`)).items,
};
