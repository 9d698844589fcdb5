import type { DeviceStatus } from '../types.js';

/** A device's presence: a coloured dot and the word. */
export function StatusPill({ status }: { status: DeviceStatus }) {
  return (
    <span class={`status status-${status}`} data-status={status}>
      <span class="status-dot" />
      {status}
    </span>
  );
}
