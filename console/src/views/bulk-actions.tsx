// The alert board's bulk bar: acknowledge or resolve the selected alerts, and what came of it.
import { useEffect, useState } from 'preact/hooks';
import { describeBulk, runBulk, type BulkAction } from '../lib/bulk.js';
import { useSession } from '../lib/session.js';
import type { Alert } from '../types.js';
import { CheckIcon, ResolveIcon } from './icons.js';

export function BulkBar({ selected, onDone }: { selected: Alert[]; onDone(failedIds: number[]): void }) {
  const session = useSession();
  const [busy, setBusy] = useState<BulkAction | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [result, setResult] = useState<{ text: string; failed: boolean } | null>(null);

  useEffect(() => {
    if (!confirming) return;
    const t = window.setTimeout(() => setConfirming(false), 4000);
    return () => window.clearTimeout(t);
  }, [confirming]);

  const firing = selected.filter((a) => a.state === 'firing');
  const run = async (action: BulkAction) => {
    // Acknowledging applies to the firing ones; those already acknowledged are left as they are.
    const targets = action === 'ack' ? firing : selected;
    setBusy(action);
    setConfirming(false);
    const outcome = await runBulk(targets.map((a) => a.id), (id) => (action === 'ack' ? session.api.ack(id) : session.api.resolve(id)));
    for (const a of outcome.done) session.board.applyAnswer(a);
    const text = describeBulk(action, targets.length, outcome);
    setResult({ text, failed: outcome.failed.length > 0 });
    session.toasts.show(text, outcome.failed.length ? 'error' : 'ok');
    setBusy(null);
    onDone(outcome.failed.map((f) => f.id));
  };

  if (!selected.length && !result) return null;
  return (
    <div class="bulk-bar" data-testid="bulk-bar">
      {selected.length > 0 && (
        <>
          <span data-testid="bulk-count"><b>{selected.length}</b> selected</span>
          <button class="btn btn-sm btn-ack" data-bulk="ack" disabled={busy !== null || !firing.length} onClick={() => void run('ack')} title="Acknowledge the selected firing alerts">
            <CheckIcon /> Acknowledge {firing.length}
          </button>
          <button
            class={`btn btn-sm${confirming ? ' btn-danger' : ''}`}
            data-bulk="resolve"
            disabled={busy !== null}
            onClick={() => (confirming ? void run('resolve') : setConfirming(true))}
            title="Resolve the selected alerts by hand (a condition still breached may fire again)"
          >
            <ResolveIcon /> {confirming ? `Resolve ${selected.length}?` : `Resolve ${selected.length}`}
          </button>
          <button class="btn btn-ghost btn-sm" data-bulk="clear" disabled={busy !== null} onClick={() => onDone([])}>Clear selection</button>
          {busy && <span class="muted small">{busy === 'ack' ? 'acknowledging' : 'resolving'}…</span>}
        </>
      )}
      {result && (
        <span class={`bulk-result small${result.failed ? ' failed' : ''}`} data-testid="bulk-result" role="status">
          {result.text} <button class="btn btn-ghost btn-sm" onClick={() => setResult(null)} aria-label="Dismiss">×</button>
        </span>
      )}
    </div>
  );
}
