/** Exports for the run shown, and operating the connection: schedule, sync now, delete, problems. */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { call, client } from '../api/client';
import { navigate, useRoute } from '../router';
import { ErrorBox, Loading, Status, when } from '../ui';
import { ConnectionHeader, useConnection } from './checks';
import { Progress } from './connections';

export function ExportsPage({ id }: { id: string }) {
  const route = useRoute();
  const runs = useQuery({
    queryKey: ['check-runs', id],
    queryFn: () =>
      call(client.GET('/v1/connections/{id}/check-runs', { params: { path: { id }, query: { limit: 50 } } })),
  });
  const picked = Number(route.query.get('checkRunId')) || runs.data?.checkRuns[0]?.id;
  const run = runs.data?.checkRuns.find((r) => r.id === picked);
  const base = `/v1/connections/${encodeURIComponent(id)}/exports`;
  return (
    <>
      <ConnectionHeader id={id} title="Exports" />
      {runs.isPending && <Loading what="check runs" />}
      <ErrorBox error={runs.error} />
      {runs.data && runs.data.checkRuns.length === 0 && (
        <p className="empty">Nothing to export before the first check run.</p>
      )}
      {run && (
        <>
          <div className="filters">
            <label htmlFor="export-run">Check run</label>
            <select
              id="export-run"
              value={run.id}
              onChange={(e) =>
                navigate(`/connections/${id}/exports?checkRunId=${e.target.value}`, { replace: true })
              }
            >
              {runs.data?.checkRuns.map((r) => (
                <option key={r.id} value={r.id}>
                  check run {r.id} of sync run {r.syncRunId} ({when(r.judgedAt ?? r.evaluatedAt)})
                </option>
              ))}
            </select>
          </div>
          <section className="card" aria-labelledby="exports-title">
            <h2 id="exports-title">Download</h2>
            <p className="row">
              <a className="button" href={`${base}/check-results.csv?checkRunId=${run.id}`} download>
                Check results (CSV)
              </a>
              <a className="button" href={`${base}/check-results.json?checkRunId=${run.id}`} download>
                Check results (JSON)
              </a>
              <a className="button" href={`${base}/access-review.csv?runId=${run.syncRunId}`} download>
                Access review (CSV)
              </a>
              <a className="button" href={`${base}/access-review.json?runId=${run.syncRunId}`} download>
                Access review (JSON)
              </a>
            </p>
            <p className="help">
              The access review is taken from sync run {run.syncRunId}, the evidence check run {run.id}{' '}
              judged.
            </p>
          </section>
        </>
      )}
    </>
  );
}

/** Problems recorded by a sync run, in words. */
function problemText(p: Record<string, unknown>): string {
  const action = p.action ? `AWS denied ${String(p.action)}` : undefined;
  const step = p.step ? ` during ${String(p.step)}` : '';
  return `${action ?? String(p.message ?? p.code ?? JSON.stringify(p))}${step}${p.message && action ? `: ${String(p.message)}` : ''}`;
}

export function OperatePage({ id }: { id: string }) {
  const qc = useQueryClient();
  const c = useConnection(id);
  const [error, setError] = useState<unknown>();
  const [saved, setSaved] = useState('');
  const [syncRunId, setSyncRunId] = useState<number>();
  const last = c.data?.connection.lastSyncRun;
  const lastRun = useQuery({
    queryKey: ['sync-run', id, last?.id],
    enabled: !!last,
    queryFn: () =>
      call(
        client.GET('/v1/connections/{id}/syncs/{runId}', {
          params: { path: { id, runId: String(last!.id) } },
        }),
      ),
  });
  const act = async (what: () => Promise<unknown>, done: string) => {
    setError(undefined);
    setSaved('');
    try {
      await what();
      setSaved(done);
      await qc.invalidateQueries({ queryKey: ['connection', id] });
    } catch (e) {
      setError(e);
    }
  };
  const schedule = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    void act(
      () =>
        call(
          client.PATCH('/v1/connections/{id}', {
            params: { path: { id } },
            body: {
              syncIntervalMinutes: Number(f.get('interval')),
              auditWindowDays: Number(f.get('window')),
            },
          }),
        ),
      'Schedule saved.',
    );
  };
  const conn = c.data?.connection;
  const r = lastRun.data?.syncRun;
  const problems = [
    ...(r?.missingPermissions ?? []).map(
      (action) => `The role lacks ${action}: add it to the role's permissions policy.`,
    ),
    ...(r?.problems ?? []).map((p) => problemText(p as Record<string, unknown>)),
    ...Object.entries(r?.steps ?? {})
      .filter(([, s]) => s.status === 'failed')
      .map(([name, s]) => `Step ${name} failed${s.detail ? `: ${s.detail}` : ''}.`),
    ...(conn?.warnings ?? []).map((w) => `${w.code}: ${w.message ?? ''}`),
  ];
  return (
    <>
      <ConnectionHeader id={id} title="Operate" />
      <ErrorBox error={error} />
      {saved && (
        <p className="notice" role="status">
          {saved}
        </p>
      )}
      {conn && (
        <>
          <form className="card" onSubmit={schedule}>
            <h2>Schedule</h2>
            <label htmlFor="interval">Minutes between syncs (15–10080)</label>
            <input
              id="interval"
              name="interval"
              type="number"
              min={15}
              max={10080}
              defaultValue={conn.syncIntervalMinutes}
            />
            <label htmlFor="window">Peer-review audit window, days (1–3650)</label>
            <input
              id="window"
              name="window"
              type="number"
              min={1}
              max={3650}
              defaultValue={conn.auditWindowDays}
            />
            <button type="submit">Save schedule</button>
          </form>
          <section className="card" aria-labelledby="sync-title">
            <h2 id="sync-title">Sync</h2>
            <p>
              Last sync:{' '}
              {last ? (
                <>
                  <Status status={last.status} /> run {last.id}, {when(last.finishedAt ?? last.startedAt)}
                </>
              ) : (
                'never'
              )}
            </p>
            <button
              type="button"
              disabled={conn.status !== 'active'}
              onClick={() =>
                act(async () => {
                  const res = await call(
                    client.POST('/v1/connections/{id}/syncs', { params: { path: { id } } }),
                  );
                  setSyncRunId(res.syncRun.id);
                }, 'Sync started.')
              }
            >
              Sync now
            </button>
            {syncRunId !== undefined && <Progress id={id} runId={syncRunId} warnings={[]} />}
          </section>
          <section className="card" aria-labelledby="problems-title">
            <h2 id="problems-title">Problems</h2>
            {/* "None" only once the last run is read: while it loads, nobody knows yet. */}
            {last && lastRun.isPending ? (
              <Loading what="the last sync run's problems" />
            ) : (
              <ErrorBox error={lastRun.error} />
            )}
            {(!last || lastRun.data) &&
              (problems.length === 0 ? (
                <p data-loaded="problems">
                  {last
                    ? 'None: the last sync read everything the checks need.'
                    : 'None yet: the connection has not synced.'}
                </p>
              ) : (
                <ul data-loaded="problems">
                  {problems.map((p) => (
                    <li key={p}>{p}</li>
                  ))}
                </ul>
              ))}
            {conn.lastConnectError && (
              <p>
                Last connect attempt: <code>{conn.lastConnectError.code}</code>{' '}
                {conn.lastConnectError.message}
              </p>
            )}
          </section>
          <section className="card danger" aria-labelledby="delete-title">
            <h2 id="delete-title">Delete the connection</h2>
            <p>Stops its syncs. Its sync runs, evidence and check results are kept.</p>
            <button
              type="button"
              className="danger"
              onClick={() => {
                if (!window.confirm(`Delete the connection ${conn.name}? Its evidence is kept.`)) return;
                void act(async () => {
                  await call(client.DELETE('/v1/connections/{id}', { params: { path: { id } } }));
                  await qc.invalidateQueries({ queryKey: ['connections'] });
                  navigate('/');
                }, 'Deleted.');
              }}
            >
              Delete connection
            </button>
          </section>
        </>
      )}
    </>
  );
}
