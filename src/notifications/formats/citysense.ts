import type { WebhookFormatter } from './types.js';

/** `{transition, alert}`: the alert object of docs/contract.md 5.2 plus a `url` to it in the console. */
export const citysenseFormat: WebhookFormatter = ({ transition, view, summary }) => ({ transition, alert: { ...view, url: summary.url } });
