// Webhook delivery: the Standard Webhooks headers on every request, the body in the contact point's format.
import type { ContactPoint, Delivery } from '../storage/index.js';
import type { SendOutcome } from './send-types.js';
import { signWebhook } from './sign.js';

const TIMEOUT_MS = 10_000;

/** Retry-After as seconds or an HTTP date (RFC 9110 10.2.3), in ms from `now`. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** POSTs `body` to the contact point's URL; `webhook-id` is the delivery's id on every try. */
export async function postWebhook(cp: ContactPoint, delivery: Delivery, body: string, now: number): Promise<SendOutcome> {
  const timestamp = Math.floor(now / 1000);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'citysense-notifications',
    'webhook-id': delivery.id,
    'webhook-timestamp': String(timestamp),
  };
  if (cp.secret) headers['webhook-signature'] = signWebhook(cp.secret, delivery.id, timestamp, body);
  try {
    const res = await fetch(cp.url!, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(TIMEOUT_MS) });
    await res.body?.cancel().catch(() => undefined); // the answer's body is not read: a receiver cannot fill our memory
    if (res.status >= 200 && res.status < 300) return { ok: true, httpStatus: res.status };
    const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), now);
    return {
      ok: false, httpStatus: res.status, gone: res.status === 410, error: `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const why = e.name === 'TimeoutError' ? `no answer in ${TIMEOUT_MS / 1000} s` : (e.cause?.code ?? e.cause?.message ?? e.message);
    return { ok: false, error: `request failed: ${why}` };
  }
}
