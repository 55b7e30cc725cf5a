import { useEffect, useRef } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import { timeChart, type TimeChart as Chart, type TimeSeries } from './chart.js';
import { percent } from './format.js';

export function TimeChart({ series, label, height }: { series: TimeSeries; label: string; height?: number }) {
  const ref = useRef<HTMLDivElement>(null);
  const chart = useRef<Chart | null>(null);
  useEffect(() => {
    chart.current = timeChart(ref.current!, series, height);
    return () => {
      chart.current?.destroy();
      chart.current = null;
    };
  }, []);
  useEffect(() => {
    chart.current?.update(series);
  }, [series]);
  return <div class="chart" ref={ref} role="img" aria-label={label} />;
}

/** A budget's use: spent, then held by requests in flight, against the limit. */
export function UsageBar({ used, reserved = 0, limit, label }: { used: number; reserved?: number; limit: number; label: string }) {
  const spent = percent(used, limit);
  const held = Math.min(100 - spent, percent(reserved, limit));
  const level = spent >= 100 ? 'full' : spent >= 80 ? 'high' : 'ok';
  return (
    <div class={`bar bar-${level}`} role="meter" aria-label={label} aria-valuemin={0} aria-valuemax={limit} aria-valuenow={used}>
      <span class="bar-used" style={{ width: `${spent}%` }} />
      {held > 0 && <span class="bar-held" style={{ width: `${held}%` }} />}
    </div>
  );
}

export function Notice({ kind = 'info', children }: { kind?: 'info' | 'error'; children: ComponentChildren }) {
  return (
    <p class={`notice notice-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </p>
  );
}

export function Field({ label, children, hint }: { label: string; children: ComponentChildren; hint?: string }) {
  return (
    <label class="field">
      <span class="field-label">{label}</span>
      {children}
      {hint && <span class="field-hint">{hint}</span>}
    </label>
  );
}

export function Stat({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div class="stat">
      <span class="stat-label">{label}</span>
      <span class="stat-value" data-testid={testId}>
        {value}
      </span>
    </div>
  );
}
