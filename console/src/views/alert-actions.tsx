// Ack, resolve and silence for one alert: shown to operators and admins only.
import { useEffect, useState } from 'preact/hooks';
import { useSession } from '../lib/session.js';
import type { Alert } from '../types.js';
import { CheckIcon, MuteIcon, ResolveIcon } from './icons.js';

/** The silence form prefilled for this alert's device and rule. */
export const silenceHref = (a: Alert) => `#/silences?${new URLSearchParams({ deviceId: a.deviceId, ruleId: a.ruleId })}`;

export function AlertActions({ alert }: { alert: Alert }) {
  const session = useSession();
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);

  useEffect(() => {
    if (!confirming) return;
    const t = window.setTimeout(() => setConfirming(false), 4000);
    return () => window.clearTimeout(t);
  }, [confirming]);

  if (!session.canAct || alert.state === 'resolved') return null;

  const run = async (what: 'ack' | 'resolve') => {
    setBusy(true);
    try {
      const updated = what === 'ack' ? await session.api.ack(alert.id) : await session.api.resolve(alert.id);
      session.board.applyAnswer(updated);
    } catch (e) {
      session.toasts.show(`Could not ${what === 'ack' ? 'acknowledge' : 'resolve'} alert #${alert.id}: ${e instanceof Error ? e.message : e}`, 'error');
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  };

  return (
    <span class="actions">
      {alert.state === 'firing' && (
        <button class="btn btn-sm btn-ack" data-action="ack" disabled={busy} onClick={() => void run('ack')} title="Acknowledge: you are on it">
          <CheckIcon /> Ack
        </button>
      )}
      <button
        class={`btn btn-sm${confirming ? ' btn-danger' : ' btn-icon-only'}`}
        data-action="resolve"
        disabled={busy}
        onClick={() => (confirming ? void run('resolve') : setConfirming(true))}
        title={confirming ? 'Click again to resolve' : 'Resolve by hand (the condition may fire again)'}
        aria-label="Resolve"
      >
        <ResolveIcon /> {confirming && 'Resolve?'}
      </button>
      <a class="btn btn-sm btn-icon-only" href={silenceHref(alert)} data-action="silence" title="Silence this device and rule" aria-label="Silence">
        <MuteIcon />
      </a>
    </span>
  );
}
