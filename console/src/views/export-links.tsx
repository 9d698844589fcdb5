// "Export CSV / NDJSON" links for a device or a filtered fleet: each href is the export's URL (GET
// /api/export/readings), and a click downloads it with the session's token (a plain link could not send it).
import { useState } from 'preact/hooks';
import { exportUrl, type ExportQuery } from '../lib/api.js';
import { useSession } from '../lib/session.js';

export function ExportLinks({ query, label = 'Export' }: { query: Omit<ExportQuery, 'format'>; label?: string }) {
  const session = useSession();
  const [error, setError] = useState<string | undefined>();
  const link = (format: ExportQuery['format']) => {
    const q: ExportQuery = { ...query, format };
    return (
      <a class="btn btn-ghost btn-sm" data-export={format} href={exportUrl(q)}
        onClick={(e) => {
          e.preventDefault();
          setError(undefined);
          session.api.download(q).catch((err: Error) => setError(err.message));
        }}>
        {format === 'csv' ? 'CSV' : 'NDJSON'}
      </a>
    );
  };
  return (
    <span class="export-links" title="history export (docs/export.md)">
      <span class="muted small">{label}</span> {link('csv')} {link('ndjson')}
      {error && <span class="form-error small" role="alert">{error}</span>}
    </span>
  );
}
