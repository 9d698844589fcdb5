import type { ComponentChildren } from 'preact';

/** A list's table: its column heads and its rows (`kind` names it for styles and tests, `devices-table`). */
export function Table({ kind, head, children }: { kind: string; head: string[]; children: ComponentChildren }) {
  return (
    <table class={`table ${kind}`}>
      <thead><tr>{head.map((h, i) => <th key={i}>{h}</th>)}</tr></thead>
      <tbody>{children}</tbody>
    </table>
  );
}
