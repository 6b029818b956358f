/** Sync runs and check runs over time, a status chart per check, and what changed between two runs. */
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { call, client } from '../api/client';
import type { CheckRunHistoryEntry } from '../api/views';
import { Pager, useKeyset } from '../keyset';
import { ErrorBox, Loading, Status, when } from '../ui';
import { ConnectionHeader } from './checks';

const CHECK_IDS = [
  'codecommit-offboarded-user-access',
  'codecommit-user-mfa',
  'codecommit-branch-protection-admins',
  'codecommit-peer-review',
] as const;
const COLOR: Record<string, string> = {
  pass: '#1a7f37',
  fail: '#c62828',
  unknown: '#8a6d00',
  not_applicable: '#6b7280',
};

export function HistoryPage({ id }: { id: string }) {
  const syncs = useQuery({
    queryKey: ['syncs', id],
    queryFn: () =>
      call(client.GET('/v1/connections/{id}/syncs', { params: { path: { id }, query: { limit: 50 } } })),
  });
  const runs = useQuery({
    queryKey: ['check-runs', id],
    queryFn: () =>
      call(client.GET('/v1/connections/{id}/check-runs', { params: { path: { id }, query: { limit: 50 } } })),
  });
  const checkRuns = runs.data?.checkRuns ?? [];
  return (
    <>
      <ConnectionHeader id={id} title="History" />
      <ErrorBox error={syncs.error ?? runs.error} />
      {(syncs.isPending || runs.isPending) && <Loading what="history" />}
      {checkRuns.length > 0 && <StatusChart runs={[...checkRuns].reverse()} />}
      {checkRuns.length > 1 && <Compare id={id} runs={checkRuns} />}
      <div className="grid two">
        <section className="card" aria-labelledby="check-runs-title">
          <h2 id="check-runs-title">Check runs</h2>
          <table>
            <thead>
              <tr>
                <th scope="col">Run</th>
                <th scope="col">Sync run</th>
                <th scope="col">Judged</th>
                {CHECK_IDS.map((c) => (
                  <th scope="col" key={c}>
                    {c.replace('codecommit-', '')}: failing
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {checkRuns.map((r) => (
                <tr key={r.id}>
                  <td>{r.id}</td>
                  <td>{r.syncRunId}</td>
                  <td>{when(r.judgedAt ?? r.evaluatedAt)}</td>
                  {CHECK_IDS.map((c) => (
                    <td key={c}>{r.results[c] ? `${r.counts[c]?.fail ?? 0} (${r.results[c]})` : '—'}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        <section className="card" aria-labelledby="sync-runs-title">
          <h2 id="sync-runs-title">Sync runs</h2>
          <table>
            <thead>
              <tr>
                <th scope="col">Run</th>
                <th scope="col">Status</th>
                <th scope="col">Trigger</th>
                <th scope="col">Finished</th>
              </tr>
            </thead>
            <tbody>
              {syncs.data?.syncRuns.map((r) => (
                <tr key={r.id}>
                  <td>{r.id}</td>
                  <td>
                    <Status status={r.status} />
                  </td>
                  <td>{r.trigger ?? '—'}</td>
                  <td>{when(r.finishedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </div>
    </>
  );
}

/**
 * One row per check, one cell per check run (oldest left), coloured by status and holding the number
 * of failing findings; the check-runs table below says the same in text.
 */
function StatusChart({ runs }: { runs: CheckRunHistoryEntry[] }) {
  const w = 30;
  return (
    <section className="card" aria-labelledby="chart-title">
      <h2 id="chart-title">Status and failing findings of each check over runs</h2>
      <svg
        role="img"
        aria-labelledby="chart-title"
        width={240 + runs.length * w}
        height={CHECK_IDS.length * 24 + 10}
      >
        <title>Each check's status over the last {runs.length} check runs, oldest first</title>
        {CHECK_IDS.map((c, row) => (
          <g key={c} transform={`translate(0 ${row * 24 + 4})`}>
            <text x={0} y={14} fontSize={12} fill="#1f2937">
              {c.replace('codecommit-', '')}
            </text>
            {runs.map((r, i) => {
              const s = r.results[c] ?? 'none';
              const n = r.counts[c];
              const failing = n?.fail ?? 0;
              return (
                <g key={r.id}>
                  <rect x={240 + i * w} y={0} width={w - 3} height={18} fill={COLOR[s] ?? '#d1d5db'}>
                    <title>{`run ${r.id}: ${s}${n ? `, ${failing} failing of ${n.pass + n.fail + n.unknown + n.not_applicable}` : ''}`}</title>
                  </rect>
                  {n && (
                    <text x={240 + i * w + (w - 3) / 2} y={13} fontSize={10} textAnchor="middle" fill="#fff">
                      {failing}
                    </text>
                  )}
                </g>
              );
            })}
          </g>
        ))}
      </svg>
      <p className="legend">
        {Object.entries(COLOR).map(([s, c]) => (
          <span key={s}>
            <span className="swatch" style={{ background: c }} /> {s.replace('_', ' ')}
          </span>
        ))}
      </p>
    </section>
  );
}

/** Findings a page of the comparison shows (each list pages on with Previous / Next). */
const PAGE = 100;

/**
 * One side of a comparison, a page at a time: the API computes the difference in SQL
 * (`…/checks/{checkId}/changes`), so comparing two runs of a large account reads one page, never
 * every failing finding of both runs.
 */
function ChangeList({
  id,
  asked,
  change,
  title,
}: {
  id: string;
  asked: { a: number; b: number; check: string };
  change: 'new_failures' | 'fixed';
  title: string;
}) {
  const list = useKeyset(['changes', id, asked, change], (cursor) =>
    call(
      client.GET('/v1/connections/{id}/checks/{checkId}/changes', {
        params: {
          path: { id, checkId: asked.check },
          query: { from: asked.a, to: asked.b, change, limit: PAGE, ...(cursor ? { cursor } : {}) },
        },
      }),
    ),
  );
  const findings = list.data?.findings ?? [];
  return (
    <div data-testid={`comparison-${change}`}>
      <h3>
        {title}
        {list.data && !list.hasNext && list.pageNumber === 1 ? ` (${findings.length})` : ''}
      </h3>
      <ErrorBox error={list.error} />
      {list.isPending && <Loading what={title.toLowerCase()} />}
      {list.data && findings.length === 0 && <p className="help">None.</p>}
      <ul>
        {findings.map((f) => (
          <li key={f.id}>
            <strong>{f.resourceName}</strong> ({f.resourceType})
            {change === 'new_failures' ? ` — ${f.reason}` : ''}
          </li>
        ))}
      </ul>
      <Pager what={title.toLowerCase()} keyset={list} />
    </div>
  );
}

/** What changed between two check runs, for one check at a time and only when asked. */
function Compare({ id, runs }: { id: string; runs: CheckRunHistoryEntry[] }) {
  const [a, setA] = useState(runs[1]!.id);
  const [b, setB] = useState(runs[0]!.id);
  const failingIn = (runId: number, c: string) => runs.find((r) => r.id === runId)?.counts[c]?.fail;
  // The first check whose failing count moved between the two runs shown first, else the first check.
  const [check, setCheck] = useState<string>(
    CHECK_IDS.find((c) => failingIn(runs[1]!.id, c) !== failingIn(runs[0]!.id, c)) ?? CHECK_IDS[0],
  );
  const [asked, setAsked] = useState<{ a: number; b: number; check: string }>();
  const pick = (label: string, value: number, set: (n: number) => void, idAttr: string) => (
    <>
      <label htmlFor={idAttr}>{label}</label>
      <select id={idAttr} value={value} onChange={(e) => set(Number(e.target.value))}>
        {runs.map((r) => (
          <option key={r.id} value={r.id}>
            check run {r.id} ({when(r.judgedAt ?? r.evaluatedAt)})
          </option>
        ))}
      </select>
    </>
  );
  return (
    <section className="card" aria-labelledby="compare-title">
      <h2 id="compare-title">What changed between two runs</h2>
      <form
        className="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setAsked({ a, b, check });
        }}
      >
        {pick('From', a, setA, 'compare-from')}
        {pick('To', b, setB, 'compare-to')}
        <label htmlFor="compare-check">Check</label>
        <select id="compare-check" value={check} onChange={(e) => setCheck(e.target.value)}>
          {CHECK_IDS.map((c) => (
            <option key={c} value={c}>
              {c.replace('codecommit-', '')} (failing {failingIn(a, c) ?? '—'} → {failingIn(b, c) ?? '—'})
            </option>
          ))}
        </select>
        <button type="submit">Compare</button>
      </form>
      {asked && (
        <div className="grid two" data-testid="comparison">
          <ChangeList
            id={id}
            asked={asked}
            change="new_failures"
            title={`New failures of ${asked.check.replace('codecommit-', '')}`}
          />
          <ChangeList id={id} asked={asked} change="fixed" title="Fixed" />
        </div>
      )}
    </section>
  );
}
