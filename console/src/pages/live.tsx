import { useEffect, useMemo, useState } from 'preact/hooks';
import { call } from '../api.js';
import { Notice, Stat, TimeChart } from '../components.js';
import { count, ms, usd } from '../format.js';
import type { Live } from '../types.js';

const POLL_MS = 2_000;

export function LivePage() {
  const [live, setLive] = useState<Live | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = () => {
      call<Live>('/v1/live')
        .then((next) => {
          if (stopped) return;
          setLive(next);
          setError(null);
        })
        .catch((failure: Error) => !stopped && setError(failure.message))
        .finally(() => {
          if (!stopped) timer = setTimeout(poll, POLL_MS);
        });
    };
    poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, []);

  const series = useMemo(() => {
    if (!live) return null;
    const seconds = live.last_minute.per_second;
    return {
      x: seconds.map((second) => Date.parse(second.start) / 1000),
      bars: { label: 'Requests / s', values: seconds.map((second) => second.requests), format: (value: number) => count(Math.round(value)), whole: true },
      line: { label: 'Errors / s', values: seconds.map((second) => second.errors), format: (value: number) => count(Math.round(value)), whole: true, shared: true },
    };
  }, [live]);

  const minute = live?.last_minute;
  return (
    <section aria-labelledby="live-title">
      <h1 id="live-title">Live</h1>
      <p class="muted">This gateway process, refreshed every {POLL_MS / 1000} s.</p>
      {error && <Notice kind="error">{error}</Notice>}
      {live && minute && series && (
        <>
          <div class="stats">
            <Stat label="In flight" value={count(live.in_flight.length)} testId="live-in-flight" />
            <Stat label="Requests, last minute" value={count(minute.requests)} testId="live-requests" />
            <Stat label="Rate" value={`${(minute.requests / 60).toFixed(2)} /s`} testId="live-rate" />
            <Stat label="Errors" value={`${count(minute.errors)}${minute.requests ? ` (${((minute.errors / minute.requests) * 100).toFixed(1)} %)` : ''}`} testId="live-errors" />
            <Stat label="Cancelled" value={count(minute.cancelled)} />
            <Stat label="Cost, last minute" value={usd(minute.cost)} />
          </div>
          <div class="card" data-testid="live-chart">
            <h2>Last minute, per second</h2>
            <TimeChart series={series} label="Requests and errors per second over the last minute" height={200} />
          </div>
          <div class="card">
            <h2>In flight</h2>
            {live.in_flight.length === 0 ? (
              <p class="muted">Nothing running right now.</p>
            ) : (
              <table data-testid="in-flight-table">
                <thead>
                  <tr>
                    <th>Model</th>
                    <th>Face</th>
                    <th>Key</th>
                    <th>User</th>
                    <th class="num">Running for</th>
                    <th>Request id</th>
                  </tr>
                </thead>
                <tbody>
                  {live.in_flight.map((request) => (
                    <tr key={`${request.id}:${request.started_at}`}>
                      <td class="model">{request.model}</td>
                      <td>
                        {request.face} · {request.operation}
                        {request.stream ? ' · stream' : ''}
                      </td>
                      <td>{request.key_name ?? '—'}</td>
                      <td>{request.user ?? '—'}</td>
                      <td class="num">{ms(request.elapsed_ms)}</td>
                      <td class="mono small">{request.id}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
        </>
      )}
    </section>
  );
}
