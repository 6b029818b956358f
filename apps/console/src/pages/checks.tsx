/** A connection's checks overview: the four checks with status, counts and the controls they support. */
import { useQuery } from '@tanstack/react-query';
import { call, client } from '../api/client';
import { Link, useRoute, useTitle } from '../router';
import { ErrorBox, Loading, pretty, Status, when } from '../ui';

export function useConnection(id: string) {
  return useQuery({
    queryKey: ['connection', id],
    queryFn: () => call(client.GET('/v1/connections/{id}', { params: { path: { id } } })),
  });
}

/** The connection's name and its tabs, on every page of a connection. */
export function ConnectionHeader({ id, title }: { id: string; title: string }) {
  const c = useConnection(id);
  const route = useRoute();
  useTitle(`${title} · ${c.data?.connection.name ?? 'connection'}`);
  const tabs: [string, string][] = [
    ['Checks', `/connections/${id}`],
    ['History', `/connections/${id}/history`],
    ['Evidence', `/connections/${id}/evidence`],
    ['Exports', `/connections/${id}/exports`],
    ['Operate', `/connections/${id}/operate`],
  ];
  return (
    <>
      <p className="crumb">
        <Link to="/">Connections</Link> / {c.data?.connection.name ?? '…'}{' '}
        {c.data && <Status status={c.data.connection.status} />}
      </p>
      <ErrorBox error={c.error} />
      <nav aria-label="Connection" className="tabs">
        {tabs.map(([label, to]) => (
          <Link key={to} to={to} aria-current={route.path === to ? 'page' : undefined}>
            {label}
          </Link>
        ))}
      </nav>
      <h1>{title}</h1>
    </>
  );
}

const FRAMEWORK: Record<string, string> = { soc2: 'SOC 2', iso27001: 'ISO 27001' };
/** `{soc2: ["CC6.1"], iso27001: ["A.8.5"]}` → "SOC 2 CC6.1 · ISO 27001 A.8.5". */
const controlsText = (controls: unknown) =>
  controls && typeof controls === 'object' && !Array.isArray(controls)
    ? Object.entries(controls as Record<string, unknown>)
        .map(([k, v]) => `${FRAMEWORK[k] ?? k} ${Array.isArray(v) ? v.join(', ') : String(v)}`)
        .join(' · ')
    : pretty(controls);

export function ConnectionPage({ id }: { id: string }) {
  const route = useRoute();
  const checkRunId = route.query.get('checkRunId');
  const checks = useQuery({
    queryKey: ['checks', id, checkRunId],
    queryFn: () =>
      call(
        client.GET('/v1/connections/{id}/checks', {
          params: { path: { id }, query: checkRunId ? { checkRunId: Number(checkRunId) } : {} },
        }),
      ),
  });
  const run = checks.data?.checkRun;
  return (
    <>
      <ConnectionHeader id={id} title="Checks" />
      {checks.isPending && <Loading what="checks" />}
      <ErrorBox error={checks.error} />
      {run && (
        <p className="meta">
          Check run {run.id} of sync run {run.syncRunId}, judged {when(run.judgedAt ?? run.evaluatedAt)}
          {run.partial && ' — partial: some evidence was missing (see Operate)'}
        </p>
      )}
      <div className="grid">
        {checks.data?.checks.map((c) => (
          <article key={c.id} className="card check" aria-labelledby={`check-${c.id}`}>
            <h2 id={`check-${c.id}`}>
              <Link to={`/connections/${id}/checks/${c.id}${run ? `?checkRunId=${run.id}` : ''}`}>
                {c.title}
              </Link>
            </h2>
            <p>
              <Status status={c.status} />
            </p>
            <p className="counts">
              {(['fail', 'unknown', 'pass', 'not_applicable'] as const).map((k) => (
                <span key={k}>
                  {k.replace('_', ' ')}: <strong>{c.counts[k] ?? 0}</strong>
                </span>
              ))}
            </p>
            <p className="help">{c.description}</p>
            <p className="controls">Controls: {controlsText(c.controls)}</p>
          </article>
        ))}
      </div>
    </>
  );
}
