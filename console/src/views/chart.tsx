// One metric's history as a uPlot line chart (canvas), with the alert thresholds that apply to it.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { formatDateTime, formatValue } from '../lib/format.js';
import type { Severity } from '../types.js';

export interface Series {
  /** Seconds since the epoch, ascending. */
  t: number[];
  v: (number | null)[];
}

export interface Threshold {
  value: number;
  severity: Severity;
  label: string;
}

interface Props {
  series: Series;
  unit?: string;
  kind: 'number' | 'boolean';
  /** The visible time range in seconds. */
  from: number;
  to: number;
  thresholds: Threshold[];
  color?: string;
  height?: number;
}

const SEVERITY_COLOURS: Record<Severity, string> = { critical: '#ff5a67', warning: '#ffb547', info: '#5cb2ff' };
const AXIS = { stroke: '#8a9bb0', grid: { stroke: '#1c2a3a', width: 1 }, ticks: { stroke: '#1c2a3a', width: 1, size: 4 }, font: '11px system-ui, sans-serif' };

export function MetricChart({ series, unit, kind, from, to, thresholds, color = '#35d0ba', height = 170 }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  // The latest props, read by uPlot's callbacks (range, threshold hook) without rebuilding the chart.
  const live = useRef({ from, to, thresholds, unit });
  live.current = { from, to, thresholds, unit };

  useEffect(() => {
    const el = box.current!;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      legend: { show: false },
      cursor: { points: { size: 6 }, drag: { x: false, y: false } },
      scales: {
        x: { time: true, range: () => [live.current.from, live.current.to] },
        y: kind === 'boolean' ? { range: [-0.1, 1.1] } : { range: (_u, min, max) => padRange(min, max, live.current.thresholds) },
      },
      series: [
        {},
        {
          label: 'value',
          stroke: color,
          width: 1.6,
          fill: `${color}1f`,
          spanGaps: false,
          points: { show: (u) => visiblePoints(u) < 80, size: 4, fill: color },
          ...(kind === 'boolean' ? { paths: uPlot.paths.stepped!({ align: 1 }) } : {}),
        },
      ],
      axes: [
        { ...AXIS, values: (_u, ticks) => ticks.map((t) => tickLabel(t, live.current.to - live.current.from)) },
        {
          ...AXIS,
          size: 64,
          values: (_u, ticks) => ticks.map((t) => (kind === 'boolean' ? (t === 1 ? 'yes' : t === 0 ? 'no' : '') : formatValue(t, live.current.unit))),
        },
      ],
      hooks: { draw: [drawThresholds(live)] },
    };
    const u = new uPlot(opts, [series.t, series.v], el);
    plot.current = u;
    const tip = el.querySelector<HTMLDivElement>('.chart-tip') ?? el.appendChild(Object.assign(document.createElement('div'), { className: 'chart-tip' }));
    u.over.addEventListener('mousemove', () => {
      const i = u.cursor.idx;
      if (i == null || u.data[1][i] == null) {
        tip.style.display = 'none';
        return;
      }
      const v = u.data[1][i]!;
      tip.textContent = `${formatDateTime(new Date(u.data[0][i]! * 1000).toISOString())}  ·  ${kind === 'boolean' ? (v ? 'yes' : 'no') : formatValue(v, live.current.unit)}`;
      tip.style.display = 'block';
    });
    u.over.addEventListener('mouseleave', () => (tip.style.display = 'none'));
    const resize = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [kind, color, height]);

  useEffect(() => {
    const u = plot.current;
    if (!u) return;
    u.setData([series.t, series.v]);
  }, [series, from, to, thresholds]);

  // The numbers behind the canvas, for people using assistive technology and for tests.
  const values = series.v.filter((v): v is number => v !== null);
  return (
    <div
      class="chart"
      ref={box}
      role="img"
      aria-label={values.length ? `${values.length} points from ${Math.min(...values)} to ${Math.max(...values)}, last ${values[values.length - 1]}` : 'no data in this range'}
      data-points={series.t.length}
      data-min={values.length ? Math.min(...values) : undefined}
      data-max={values.length ? Math.max(...values) : undefined}
      data-last={values.length ? values[values.length - 1] : undefined}
    />
  );
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** `14:05`, `14:05:30` on short ranges, `05-14 14:00` on ranges of days. */
function tickLabel(t: number, span: number): string {
  const d = new Date(t * 1000);
  const hm = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
  if (span <= 900) return `${hm}:${pad2(d.getSeconds())}`;
  if (span > 2 * 86_400) return `${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${hm}`;
  return hm;
}

function visiblePoints(u: uPlot): number {
  return u.data[0].length;
}

/** The data's range with some air, widened to take in a threshold that lies near it (so the line shows). */
function padRange(min: number | null, max: number | null, thresholds: Threshold[]): [number, number] {
  if (min === null || max === null) return [0, 1];
  let lo = min;
  let hi = max;
  const span = Math.max(max - min, Math.abs(max) * 0.1, 1);
  for (const t of thresholds) {
    if (t.value > max && t.value - max <= span) hi = t.value;
    if (t.value < min && min - t.value <= span) lo = t.value;
  }
  if (lo === hi) return [lo - 1, hi + 1];
  const pad = (hi - lo) * 0.12;
  return [lo - pad, hi + pad];
}

function drawThresholds(live: { current: { thresholds: Threshold[] } }) {
  return (u: uPlot) => {
    const { ctx, bbox } = u;
    ctx.save();
    ctx.setLineDash([6, 5]);
    ctx.lineWidth = Math.max(1, devicePixelRatio);
    ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
    for (const th of live.current.thresholds) {
      const y = u.valToPos(th.value, 'y', true);
      if (!Number.isFinite(y) || y < bbox.top || y > bbox.top + bbox.height) continue;
      const colour = SEVERITY_COLOURS[th.severity];
      ctx.strokeStyle = colour;
      ctx.globalAlpha = 0.75;
      ctx.beginPath();
      ctx.moveTo(bbox.left, y);
      ctx.lineTo(bbox.left + bbox.width, y);
      ctx.stroke();
      ctx.globalAlpha = 0.95;
      ctx.fillStyle = colour;
      ctx.textAlign = 'right';
      ctx.fillText(th.label, bbox.left + bbox.width - 4 * devicePixelRatio, y - 4 * devicePixelRatio);
    }
    ctx.restore();
  };
}
