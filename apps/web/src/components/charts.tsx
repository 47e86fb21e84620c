import { useEffect, useMemo, useRef } from 'react';
import uPlot, { type AlignedData, type Options } from 'uplot';
import type { Run, RunPlan, Sample } from '../api';
import type { StepMark } from '../lanes';

/** A uPlot chart sized to its container; options rebuild it, data updates it in place. */
function UPlot({ options, data, label }: { options: Omit<Options, 'width'>; data: AlignedData; label: string }) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const latest = useRef(data);
  latest.current = data;

  useEffect(() => {
    const el = box.current!;
    const u = new uPlot({ ...options, width: el.clientWidth || 600 } as Options, latest.current, el);
    chart.current = u;
    const resize = new ResizeObserver(() => u.setSize({ width: el.clientWidth, height: options.height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      chart.current = null;
    };
  }, [options]);

  useEffect(() => {
    chart.current?.setData(data);
  }, [data]);

  return <div className="chart" ref={box} role="img" aria-label={label} />;
}

const COLORS = {
  ok: '#1b6e3a',
  error: '#b3261e',
  fault: 'rgba(179, 38, 30, 0.12)',
  recovery: 'rgba(11, 87, 208, 0.08)',
};

/** Shades each experiment's fault window (and lightly its recovery) behind the samples. */
function windowsPlugin(plan: RunPlan | null): uPlot.Plugin {
  return {
    hooks: {
      drawClear: (u: uPlot) => {
        if (!plan) return;
        const { ctx } = u;
        const { top, height } = u.bbox;
        const shade = (from: number, to: number, color: string) => {
          const x0 = u.valToPos(from / 1000, 'x', true);
          const x1 = u.valToPos(to / 1000, 'x', true);
          ctx.fillStyle = color;
          ctx.fillRect(x0, top, x1 - x0, height);
        };
        for (const e of plan.experiments) {
          shade(e.injectAt, e.revertAt, COLORS.fault);
          shade(e.revertAt, e.endAt, COLORS.recovery);
        }
      },
    },
  };
}

const MARK_COLORS: Record<StepMark['edge'], string> = { start: '#b3261e', end: '#1b6e3a', passed: '#0b57d0' };

/**
 * A thin vertical line at each step's actual start and end (and each gate's pass) with its name,
 * so a latency change lines up with the step that caused it. Drawn over the samples.
 */
function marksPlugin(marks: StepMark[]): uPlot.Plugin {
  return {
    hooks: {
      draw: (u: uPlot) => {
        const { ctx } = u;
        const { top, height, left, width } = u.bbox;
        ctx.save();
        ctx.font = `${Math.round(11 * devicePixelRatio)}px sans-serif`;
        ctx.lineWidth = Math.max(1, devicePixelRatio);
        marks.forEach((m, i) => {
          const x = u.valToPos(m.at / 1000, 'x', true);
          if (x < left || x > left + width) return;
          ctx.strokeStyle = ctx.fillStyle = MARK_COLORS[m.edge];
          ctx.setLineDash(m.edge === 'end' ? [4 * devicePixelRatio, 3 * devicePixelRatio] : []);
          ctx.beginPath();
          ctx.moveTo(x, top);
          ctx.lineTo(x, top + height);
          ctx.stroke();
          // labels stagger down so neighbours do not overwrite each other
          ctx.fillText(m.label, x + 3 * devicePixelRatio, top + (12 + (i % 4) * 13) * devicePixelRatio);
        });
        ctx.restore();
      },
    },
  };
}

/** Latency of one probe's requests over the run, errors in red, the fault window shaded, steps marked. */
export function LatencyChart({
  probe,
  samples,
  plan,
  marks = [],
}: {
  probe: string;
  samples: Sample[];
  plan: RunPlan | null;
  marks?: StepMark[];
}) {
  // the chart is rebuilt when a mark comes or moves (a few times a run), not on every render
  const marksKey = JSON.stringify(marks);
  const options = useMemo<Omit<Options, 'width'>>(
    () => ({
      height: 220,
      plugins: [windowsPlugin(plan), marksPlugin(JSON.parse(marksKey) as StepMark[])],
      scales: {
        x: { time: true, ...(plan ? { range: () => [plan.startAt / 1000, plan.endAt / 1000] } : {}) },
        y: { range: (_u, _min, max) => [0, Math.max(10, max * 1.1)] },
      },
      axes: [{}, { label: 'ms', size: 60 }],
      series: [
        {},
        { label: 'ok', stroke: COLORS.ok, paths: () => null, points: { show: true, size: 5, fill: COLORS.ok } },
        {
          label: 'error',
          stroke: COLORS.error,
          paths: () => null,
          points: { show: true, size: 5, fill: COLORS.error },
        },
      ],
    }),
    [plan, marksKey],
  );
  const data = useMemo<AlignedData>(() => {
    const mine = samples.filter((s) => s.probe === probe);
    return [
      mine.map((s) => s.at / 1000),
      mine.map((s) => (s.ok ? s.durationMs : null)),
      mine.map((s) => (s.ok ? null : s.durationMs)),
    ];
  }, [samples, probe]);
  const errors = samples.filter((s) => s.probe === probe && !s.ok).length;
  const count = samples.filter((s) => s.probe === probe).length;
  return (
    <figure>
      <figcaption>
        <strong>{probe}</strong>: {count} requests, {errors} errors (fault window shaded red, recovery blue
        {marks.length > 0 ? '; each step marked where it really began ▶ and ended ■, each gate where it passed' : ''})
      </figcaption>
      <UPlot options={options} data={data} label={`latency of probe ${probe} over the run`} />
    </figure>
  );
}

/** Across runs (oldest first): p95 per window and time to recover (ms), deviation ratio (right axis). */
export function TrendChart({ runs }: { runs: Run[] }) {
  const options = useMemo<Omit<Options, 'width'>>(
    () => ({
      height: 240,
      scales: { x: { time: true }, ratio: { range: (_u, _min, max) => [0, Math.max(2, max * 1.1)] } },
      axes: [{}, { label: 'ms', size: 60 }, { scale: 'ratio', side: 1, label: 'deviation ×', grid: { show: false } }],
      series: [
        {},
        { label: 'p95 baseline', stroke: '#1b6e3a', width: 2 },
        { label: 'p95 fault', stroke: '#b3261e', width: 2 },
        { label: 'p95 recovery', stroke: '#0b57d0', width: 2 },
        { label: 'time to recover', stroke: '#6b4e00', width: 2, dash: [6, 4] },
        { label: 'deviation ratio', stroke: '#5b2a86', width: 2, scale: 'ratio' },
      ],
    }),
    [],
  );
  const data = useMemo<AlignedData>(() => {
    const done = runs.filter((r) => r.finishedAt).sort((a, b) => a.scheduledFor.localeCompare(b.scheduledFor));
    return [
      done.map((r) => Date.parse(r.scheduledFor) / 1000),
      done.map((r) => r.summary?.p95Ms.baseline ?? null),
      done.map((r) => r.summary?.p95Ms.fault ?? null),
      done.map((r) => r.summary?.p95Ms.recovery ?? null),
      done.map((r) => r.summary?.timeToRecoverMs ?? null),
      done.map((r) => r.summary?.deviationRatio ?? null),
    ];
  }, [runs]);
  return <UPlot options={options} data={data} label="trend across runs: p95 per window, time to recover, deviation" />;
}

/** A tiny inline trend (e.g. deviation ratio of the last runs) for list rows; `domain` fixes the y range. */
export function Sparkline({
  values,
  label,
  domain,
}: {
  values: (number | null)[];
  label: string;
  domain?: [number, number];
}) {
  const points = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (points.length < 2) return <span className="muted">–</span>;
  const w = 90;
  const h = 22;
  const max = domain?.[1] ?? Math.max(...points);
  const min = domain?.[0] ?? Math.min(...points);
  const y = (v: number) => h - 2 - ((v - min) / (max - min || 1)) * (h - 4);
  const d = points.map(
    (v, i) => `${i ? 'L' : 'M'}${((i / (points.length - 1)) * (w - 4) + 2).toFixed(1)},${y(v).toFixed(1)}`,
  );
  return (
    <svg width={w} height={h} role="img" aria-label={label} className="sparkline">
      <path d={d.join(' ')} fill="none" stroke="#5b2a86" strokeWidth="1.5" />
    </svg>
  );
}
