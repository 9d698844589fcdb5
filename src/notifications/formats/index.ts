import type { WebhookFormat } from '../../storage/index.js';
import { alertmanagerFormat } from './alertmanager.js';
import { citysenseFormat } from './citysense.js';
import { slackFormat } from './slack.js';
import type { WebhookFormatter } from './types.js';

export type { FormatInput, WebhookFormatter } from './types.js';

/** The webhook formats by name: adding one is a file and a line here. */
export const WEBHOOK_FORMATTERS: Record<WebhookFormat, WebhookFormatter> = {
  citysense: citysenseFormat,
  alertmanager: alertmanagerFormat,
  slack: slackFormat,
};
