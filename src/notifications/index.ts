// The notification room's public face: contact points, policies, the outbox's delivery (docs/contract.md section 8).
export { createNotifications, type Notifications, type NotificationsDeps } from './service.js';
export type { DeliveryOptions } from './delivery.js';
export { contactPointInputSchema, policyInputSchema, webhookSecretSchema, type ContactPointInput, type PolicyInput } from './schemas.js';
export { signWebhook, newWebhookSecret } from './sign.js';
export type { ContactPointView, DeliveryView, PolicyView } from './view.js';
