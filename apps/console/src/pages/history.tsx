/** Sync runs and check runs over time, a status chart per check, and what changed between two runs. */
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { call, client } from '../api/client';
import type { CheckRunHistoryEntry, Finding } from '../api/views';
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

async function failing(id: string, checkRunId: number): Promise<Map<string, Finding>> {
  const out = new Map<string, Finding>();
  for (const checkId of CHECK_IDS) {
    let cursor: string | undefined;
    do {
      const page: { findings: Finding[]; nextCursor: string | null } = await call(
        client.GET('/v1/connections/{id}/checks/{checkId}', {
          params: {
            path: { id, checkId },
            query: { checkRunId, status: 'fail', limit: 500, ...(cursor ? { cursor } : {}) },
          },
        }),
      );
      for (const f of page.findings) out.set(`${checkId} ${f.resourceType} ${f.resourceId}`, f);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }
  return out;
}

function Compare({ id, runs }: { id: string; runs: CheckRunHistoryEntry[] }) {
  const [a, setA] = useState(runs[1]!.id);
  const [b, setB] = useState(runs[0]!.id);
  const diff = useQuery({
    queryKey: ['compare', id, a, b],
    queryFn: async () => {
      const [before, after] = await Promise.all([failing(id, a), failing(id, b)]);
      return {
        newFailures: [...after].filter(([k]) => !before.has(k)).map(([, f]) => f),
        fixed: [...before].filter(([k]) => !after.has(k)).map(([, f]) => f),
      };
    },
  });
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
      <div className="filters">
        {pick('From', a, setA, 'compare-from')}
        {pick('To', b, setB, 'compare-to')}
      </div>
      <ErrorBox error={diff.error} />
      {diff.isPending && <Loading what="the comparison" />}
      {diff.data && (
        <div className="grid two">
          <div>
            <h3>New failures ({diff.data.newFailures.length})</h3>
            <ul>
              {diff.data.newFailures.map((f) => (
                <li key={`${f.checkId}${f.id}`}>
                  <strong>{f.resourceName}</strong> ({f.checkId.replace('codecommit-', '')}) — {f.reason}
                </li>
              ))}
            </ul>
          </div>
          <div>
            <h3>Fixed ({diff.data.fixed.length})</h3>
            <ul>
              {diff.data.fixed.map((f) => (
                <li key={`${f.checkId}${f.id}`}>
                  <strong>{f.resourceName}</strong> ({f.checkId.replace('codecommit-', '')})
                </li>
              ))}
            </ul>
          </div>
        </div>
      )}
    </section>
  );
}
