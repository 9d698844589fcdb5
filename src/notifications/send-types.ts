import type { ContactPoint, Delivery } from '../storage/index.js';

/** What one try came to. */
export interface SendOutcome {
  ok: boolean;
  httpStatus?: number;
  error?: string;
  /** The receiver answered 410 Gone: the contact point is disabled. */
  gone?: boolean;
  /** The receiver's Retry-After, in ms. */
  retryAfterMs?: number;
}

/** Sends one delivery to one contact point, once. Never throws: a failure is an outcome. */
export type Sender = (cp: ContactPoint, delivery: Delivery) => Promise<SendOutcome>;
