// The Standard Webhooks signature (https://www.standardwebhooks.com): a few lines of node:crypto, as the spec's
// reference libraries do; the npm package would add a dependency for one HMAC.
import { createHmac, randomBytes } from 'node:crypto';

/** A new key: `whsec_` and 24 random bytes in base64. */
export const newWebhookSecret = () => `whsec_${randomBytes(24).toString('base64')}`;

/** `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` with the key's bytes (the base64 after `whsec_`). */
export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}
