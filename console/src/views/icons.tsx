// Inline SVG icons (no icon font to fetch). Severity icons differ in shape as well as colour.
import type { Severity } from '../types.js';

interface IconProps {
  size?: number;
  class?: string;
}

/** Critical: octagon; warning: triangle; info: circle. */
export function SeverityIcon({ severity, size = 16 }: IconProps & { severity: Severity }) {
  const common = { width: size, height: size, viewBox: '0 0 16 16', class: `sev-icon sev-${severity}`, 'aria-hidden': 'true' as const };
  if (severity === 'critical') {
    return (
      <svg {...common}>
        <path d="M5.1 1h5.8L15 5.1v5.8L10.9 15H5.1L1 10.9V5.1z" fill="currentColor" />
        <path d="M8 4.2v4.6" stroke="#0b1118" stroke-width="1.9" stroke-linecap="round" />
        <circle cx="8" cy="11.4" r="1.05" fill="#0b1118" />
      </svg>
    );
  }
  if (severity === 'warning') {
    return (
      <svg {...common}>
        <path d="M8 1.3 15.2 14H.8z" fill="currentColor" stroke="currentColor" stroke-linejoin="round" />
        <path d="M8 5.6v4" stroke="#0b1118" stroke-width="1.8" stroke-linecap="round" />
        <circle cx="8" cy="11.9" r="1" fill="#0b1118" />
      </svg>
    );
  }
  return (
    <svg {...common}>
      <circle cx="8" cy="8" r="7" fill="currentColor" />
      <path d="M8 7.2v4.3" stroke="#0b1118" stroke-width="1.8" stroke-linecap="round" />
      <circle cx="8" cy="4.7" r="1" fill="#0b1118" />
    </svg>
  );
}

export function Logo({ size = 22 }: IconProps) {
  return (
    <svg width={size} height={size} viewBox="0 0 32 32" aria-hidden="true">
      <rect width="32" height="32" rx="7" fill="#12202c" />
      <circle cx="16" cy="16" r="4.5" fill="#35d0ba" />
      <circle cx="16" cy="16" r="9.5" fill="none" stroke="#35d0ba" stroke-width="1.8" opacity=".55" />
      <circle cx="16" cy="16" r="14" fill="none" stroke="#35d0ba" stroke-width="1.2" opacity=".25" />
    </svg>
  );
}

const stroke = { fill: 'none', stroke: 'currentColor', 'stroke-width': 1.6, 'stroke-linecap': 'round' as const, 'stroke-linejoin': 'round' as const };

export function SpeakerIcon({ on, size = 16 }: IconProps & { on: boolean }) {
  return (
    <svg width={size} height={size} viewBox="0 0 16 16" aria-hidden="true">
      <path d="M2 6h2.5L8 3v10L4.5 10H2z" {...stroke} />
      {on ? <path d="M10.5 5.5a3.5 3.5 0 0 1 0 5M12.5 3.5a6.3 6.3 0 0 1 0 9" {...stroke} /> : <path d="m10.5 6 4 4m0-4-4 4" {...stroke} />}
    </svg>
  );
}

export function CheckIcon({ size = 14 }: IconProps) {
  return (
    <svg width={size} height={size} viewBox="0 0 16 16" aria-hidden="true">
      <path d="m3 8.5 3.2 3L13 4.5" {...stroke} stroke-width={2} />
    </svg>
  );
}

export function MuteIcon({ size = 14 }: IconProps) {
  return (
    <svg width={size} height={size} viewBox="0 0 16 16" aria-hidden="true">
      <path d="M6 13.5h4M8 2a4 4 0 0 0-4 4v3L2.5 11.5h11L12 9V6a4 4 0 0 0-4-4zM2 2l12 12" {...stroke} />
    </svg>
  );
}

export function ResolveIcon({ size = 14 }: IconProps) {
  return (
    <svg width={size} height={size} viewBox="0 0 16 16" aria-hidden="true">
      <circle cx="8" cy="8" r="6" {...stroke} />
      <path d="m5.3 8.2 1.9 1.8 3.6-3.8" {...stroke} />
    </svg>
  );
}
