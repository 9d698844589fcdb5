// What the API accepts for contact points and policies (docs/contract.md section 8), declared once for the routes,
// the OpenAPI document and the checks of the notification service.
import { z } from 'zod';
import { parseDuration, SEVERITIES } from '../core/index.js';
import { POLICY_TRANSITIONS, WEBHOOK_FORMATS } from '../storage/index.js';

const label = z.string().trim().min(1).max(100);
const id = z.string().trim().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/, 'letters, digits and _ . : - (at most 100, starting with a letter or digit)');

/** A Standard Webhooks key: `whsec_` and the base64 of 24 to 64 random bytes. */
export const webhookSecretSchema = z.string().regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/, 'a Standard Webhooks key: whsec_ followed by base64')
  .refine((s) => { const n = Buffer.from(s.slice(6), 'base64').length; return n >= 24 && n <= 64; }, 'the key must be 24 to 64 bytes (base64 after whsec_)');

const duration = z.string().trim().min(1).refine((v) => {
  try { return parseDuration(v) > 0; } catch { return false; }
}, 'a duration longer than 0 such as 30s, 5m or 1h');

export const contactPointInputSchema = z.strictObject({
  id: id.optional(),
  name: label,
  kind: z.enum(['webhook', 'email']),
  url: z.url({ protocol: /^https?$/, error: 'an http or https URL' }).max(2000).optional(),
  secret: webhookSecretSchema.optional(),
  format: z.enum(WEBHOOK_FORMATS).optional(),
  to: z.array(z.email({ error: 'an email address' })).min(1).max(50).optional(),
}).superRefine((cp, ctx) => {
  if (cp.kind === 'webhook') {
    if (!cp.url) ctx.addIssue({ code: 'custom', path: ['url'], message: 'a webhook needs a url (http or https)' });
    if (cp.to) ctx.addIssue({ code: 'custom', path: ['to'], message: 'only an email contact point has addresses' });
  } else {
    if (!cp.to) ctx.addIssue({ code: 'custom', path: ['to'], message: 'an email contact point needs addresses' });
    for (const k of ['url', 'secret', 'format'] as const) if (cp[k] !== undefined) ctx.addIssue({ code: 'custom', path: [k], message: `only a webhook has a ${k}` });
  }
});
export type ContactPointInput = z.output<typeof contactPointInputSchema>;

export const policyInputSchema = z.strictObject({
  id: id.optional(),
  name: label,
  match: z.strictObject({
    domain: label.optional(), type: label.optional(), district: label.optional(), deviceId: label.optional(), ruleId: label.optional(),
    severity: z.array(z.enum(SEVERITIES)).min(1).optional(),
  }).default({}),
  contactPoints: z.array(id).min(1).max(50),
  on: z.array(z.enum(POLICY_TRANSITIONS)).min(1).optional(),
  repeatEvery: duration.optional(),
  escalate: z.strictObject({ after: duration, contactPoints: z.array(id).min(1).max(50) }).optional(),
});
export type PolicyInput = z.output<typeof policyInputSchema>;
