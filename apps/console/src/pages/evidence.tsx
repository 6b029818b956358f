/** The evidence as of a sync run: repositories with branches and templates, pull requests, IAM users. */
import { useQuery } from '@tanstack/react-query';
import { call, client } from '../api/client';
import { navigate, useRoute } from '../router';
import { ErrorBox, Loading, Status, when } from '../ui';
import { ConnectionHeader } from './checks';

const short = (arn: string) => arn.split('/').pop() ?? arn;
const yesNo = (v: boolean | null) => (v === null ? 'unknown' : v ? 'yes' : 'no');

export function EvidencePage({ id }: { id: string }) {
  const route = useRoute();
  const runParam = route.query.get('runId');
  const runId = runParam ? Number(runParam) : undefined;
  const query = runId ? { runId, limit: 100 } : { limit: 100 };
  const syncs = useQuery({
    queryKey: ['syncs', id],
    queryFn: () =>
      call(client.GET('/v1/connections/{id}/syncs', { params: { path: { id }, query: { limit: 50 } } })),
  });
  const repos = useQuery({
    queryKey: ['repositories', id, runId],
    queryFn: () => call(client.GET('/v1/connections/{id}/repositories', { params: { path: { id }, query } })),
  });
  const prs = useQuery({
    queryKey: ['pull-requests', id, runId],
    queryFn: () =>
      call(client.GET('/v1/connections/{id}/pull-requests', { params: { path: { id }, query } })),
  });
  const users = useQuery({
    queryKey: ['iam-users', id, runId],
    queryFn: () => call(client.GET('/v1/connections/{id}/iam-users', { params: { path: { id }, query } })),
  });
  const finished =
    syncs.data?.syncRuns.filter((r) => r.status === 'succeeded' || r.status === 'partial') ?? [];
  return (
    <>
      <ConnectionHeader id={id} title="Evidence" />
      <div className="filters">
        <label htmlFor="as-of">As of sync run</label>
        <select
          id="as-of"
          value={runId ?? ''}
          onChange={(e) =>
            navigate(`/connections/${id}/evidence${e.target.value ? `?runId=${e.target.value}` : ''}`)
          }
        >
          <option value="">latest finished</option>
          {finished.map((r) => (
            <option key={r.id} value={r.id}>
              run {r.id} ({when(r.finishedAt)})
            </option>
          ))}
        </select>
        {repos.data && <span className="meta">showing sync run {repos.data.syncRun.id}</span>}
      </div>
      <section className="card" aria-labelledby="repos-title">
        <h2 id="repos-title">Repositories</h2>
        {repos.isPending && <Loading what="repositories" />}
        <ErrorBox error={repos.error} />
        <table>
          <thead>
            <tr>
              <th scope="col">Repository</th>
              <th scope="col">Default branch</th>
              <th scope="col">Approval rule templates</th>
            </tr>
          </thead>
          <tbody>
            {repos.data?.repositories.map((r) => (
              <tr key={r.repositoryId}>
                <td>{r.name}</td>
                <td>{r.defaultBranch ?? '—'}</td>
                <td>{r.approvalRuleTemplates.join(', ') || 'none'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section className="card" aria-labelledby="prs-title">
        <h2 id="prs-title">Pull requests</h2>
        {prs.isPending && <Loading what="pull requests" />}
        <ErrorBox error={prs.error} />
        <table>
          <thead>
            <tr>
              <th scope="col">Pull request</th>
              <th scope="col">Author</th>
              <th scope="col">Status</th>
              <th scope="col">Approvals (final revision)</th>
            </tr>
          </thead>
          <tbody>
            {prs.data?.pullRequests.map((p) => (
              <tr key={`${p.repository}#${p.pullRequestId}`}>
                <td>
                  {p.repository} #{p.pullRequestId} {p.title}
                </td>
                <td>{p.authorArn ? short(p.authorArn) : '—'}</td>
                <td>{p.isMerged ? `merged ${when(p.mergedAt)}` : p.status}</td>
                <td>
                  {p.approvals
                    .filter((a) => a.state === 'APPROVE')
                    .map((a) => `${short(a.userArn)}${a.onFinalRevision ? '' : ' (earlier revision)'}`)
                    .join(', ') || 'none'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section className="card" aria-labelledby="users-title">
        <h2 id="users-title">IAM users</h2>
        {users.isPending && <Loading what="IAM users" />}
        <ErrorBox error={users.error} />
        <table>
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Access</th>
              <th scope="col">Console password</th>
              <th scope="col">MFA</th>
              <th scope="col">Credentials</th>
              <th scope="col">Last used</th>
              <th scope="col">Person</th>
            </tr>
          </thead>
          <tbody>
            {users.data?.iamUsers.map((u) => (
              <tr key={u.arn}>
                <td>{u.name}</td>
                <td>
                  {u.level} ({u.repositoryCount} repositories)
                </td>
                <td>{yesNo(u.consolePassword)}</td>
                <td>{yesNo(u.mfaActive)}</td>
                <td>{u.usableCredentials.join(', ') || 'none'}</td>
                <td>{when(u.lastUsed)}</td>
                <td>
                  {u.person ? (
                    <>
                      {u.person.email} <Status status={u.person.status} />
                    </>
                  ) : (
                    'not linked'
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </>
  );
}
