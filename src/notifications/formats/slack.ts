import type { WebhookFormatter } from './types.js';

/** A Slack incoming-webhook message (`text` for notifications and clients without blocks, `blocks` for the rest). */
export const slackFormat: WebhookFormatter = ({ summary }) => {
  const facts = summary.facts.filter(([k]) => k !== 'Console');
  return {
    text: summary.subject,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: summary.subject.slice(0, 150) } },
      { type: 'section', fields: facts.slice(0, 10).map(([k, v]) => ({ type: 'mrkdwn', text: `*${k}*\n${v}` })) },
      { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open in citysense' }, url: summary.url }] },
    ],
  };
};
