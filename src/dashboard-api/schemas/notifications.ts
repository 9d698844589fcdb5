// Contact points, notification policies and deliveries as the API shows them. Their bodies are the notifications
// room's own schemas (it checks them itself); they are named here so that every body of the API is found in this folder.
import { z } from 'zod';
import { contactPointInputSchema, policyInputSchema } from '../../notifications/index.js';
import { CONTACT_POINT_KINDS, DELIVERY_TRANSITIONS, POLICY_TRANSITIONS, WEBHOOK_FORMATS } from '../../storage/index.js';
import { severitySchema } from './alerts.js';
import { time } from './common.js';

export { contactPointInputSchema, policyInputSchema };
export type NewContactPoint = z.input<typeof contactPointInputSchema>;
export type NewPolicy = z.input<typeof policyInputSchema>;

export const webhookFormatSchema = z.enum(WEBHOOK_FORMATS);
export type WebhookFormat = z.infer<typeof webhookFormatSchema>;

export const contactPointSchema = z.object({
  id: z.string(), name: z.string(), kind: z.enum(CONTACT_POINT_KINDS), url: z.string().optional(), format: webhookFormatSchema.optional(),
  secretSet: z.boolean().optional().describe('a webhook: whether it has a signing key (the key itself is never shown again)'),
  to: z.array(z.string()).optional(), disabled: z.boolean(), disabledAt: time.nullable(),
  disabledReason: z.string().nullable(), createdAt: time, updatedAt: time,
}).meta({ id: 'ContactPoint' });
export type ContactPoint = z.infer<typeof contactPointSchema>;
export const contactPointCreatedSchema = contactPointSchema.extend({ secret: z.string().optional().describe('a generated webhook key: shown only in this answer') });
export type ContactPointCreated = z.infer<typeof contactPointCreatedSchema>;

export const policySchema = z.object({
  id: z.string(), name: z.string(),
  match: z.object({
    domain: z.string().optional(), type: z.string().optional(), district: z.string().optional(), deviceId: z.string().optional(), ruleId: z.string().optional(),
    severity: z.array(severitySchema).optional(),
  }),
  contactPoints: z.array(z.string()), on: z.array(z.enum(POLICY_TRANSITIONS)),
  repeatEvery: z.string().optional(), escalate: z.object({ after: z.string(), contactPoints: z.array(z.string()) }).optional(),
  createdAt: time, updatedAt: time,
}).meta({ id: 'NotificationPolicy' });
export type NotificationPolicy = z.infer<typeof policySchema>;

export const deliverySchema = z.object({
  id: z.string().describe('the webhook-id, the same on every try'), contactPointId: z.string(), kind: z.enum(CONTACT_POINT_KINDS),
  transition: z.enum(DELIVERY_TRANSITIONS), attempt: z.number().int(),
  status: z.enum(['pending', 'delivered', 'failed']), httpStatus: z.number().int().optional(), error: z.string().optional(),
  createdAt: time, at: time.optional(), deliveredAt: time.optional(), nextAt: time.optional(),
}).meta({ id: 'Delivery' });
export type Delivery = z.infer<typeof deliverySchema>;
export const testDeliverySchema = deliverySchema.extend({ delivered: z.boolean() });
export type TestDelivery = z.infer<typeof testDeliverySchema>;
