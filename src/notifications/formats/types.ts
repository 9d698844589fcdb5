import type { Alert } from '../../core/index.js';
import type { DeliveryTransition } from '../../storage/index.js';
import type { Summary } from '../summary.js';

/** What every format is built from. */
export interface FormatInput {
  transition: DeliveryTransition;
  alert: Alert;
  /** The alert as the API shows it (docs/contract.md 5.2). */
  view: Record<string, unknown>;
  summary: Summary;
  /** The console's base URL. */
  publicUrl: string;
  /** The contact point's name (Alertmanager's `receiver`). */
  receiver: string;
}

/** A webhook body format: the JSON a receiver of that kind expects. */
export type WebhookFormatter = (input: FormatInput) => unknown;
