/**
 * The evidence as of a sync run: repositories with their branches and approval rule templates, pull
 * requests with their approvals and on which revision each was given, IAM users with their access
 * level, console password, MFA, credentials and last use. Each list is paged by the API's keyset
 * cursors (`?pageSize=` in the URL sets the rows per page), so a 1,000-repository account never loads
 * at once; a repository's branches load when asked for, paged the same way.
 */
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { call, client } from '../api/client';
import { Pager, useKeyset, usePageSize } from '../keyset';
import { navigate, useRoute } from '../router';
import { ErrorBox, Loading, Status, when } from '../ui';
import { ConnectionHeader } from './checks';

const short = (arn: string) => arn.split('/').pop() ?? arn;
const yesNo = (v: boolean | null) => (v === null ? 'unknown' : v ? 'yes' : 'no');
/** Commit and revision ids are 40 hex characters: the first 8 tell them apart on a screen. */
const rev = (id: string | null) => (id ? id.slice(0, 8) : '—');

interface AsOf {
  id: string;
  runId: number | undefined;
  limit: number;
}

const asOfQuery = ({ runId, limit }: AsOf) => (runId ? { runId, limit } : { limit });

export function EvidencePage({ id }: { id: string }) {
  const route = useRoute();
  const runParam = route.query.get('runId');
  const runId = runParam ? Number(runParam) : undefined;
  const limit = usePageSize(50);
  const asOf = { id, runId, limit };
  const syncs = useQuery({
    queryKey: ['syncs', id],
    queryFn: () =>
      call(client.GET('/v1/connections/{id}/syncs', { params: { path: { id }, query: { limit: 50 } } })),
  });
  const finished =
    syncs.data?.syncRuns.filter((r) => r.status === 'succeeded' || r.status === 'partial') ?? [];
  const pick = (value: string) => {
    const q = new URLSearchParams(route.query);
    if (value) q.set('runId', value);
    else q.delete('runId');
    navigate(`/connections/${id}/evidence${q.size ? `?${q}` : ''}`);
  };
  return (
    <>
      <ConnectionHeader id={id} title="Evidence" />
      <div className="filters">
        <label htmlFor="as-of">As of sync run</label>
        <select id="as-of" value={runId ?? ''} onChange={(e) => pick(e.target.value)}>
          <option value="">latest finished</option>
          {finished.map((r) => (
            <option key={r.id} value={r.id}>
              run {r.id} ({when(r.finishedAt)})
            </option>
          ))}
        </select>
      </div>
      <Repositories asOf={asOf} />
      <PullRequests asOf={asOf} />
      <IamUsers asOf={asOf} />
    </>
  );
}

function Repositories({ asOf }: { asOf: AsOf }) {
  const { id } = asOf;
  const repos = useKeyset(['repositories', id, asOf.runId, asOf.limit], (cursor) =>
    call(
      client.GET('/v1/connections/{id}/repositories', {
        params: { path: { id }, query: { ...asOfQuery(asOf), ...(cursor ? { cursor } : {}) } },
      }),
    ),
  );
  const [open, setOpen] = useState<string>();
  return (
    <section className="card" aria-labelledby="repos-title">
      <h2 id="repos-title">Repositories</h2>
      {repos.data && <p className="meta">as of sync run {repos.data.syncRun.id}</p>}
      {repos.isPending && <Loading what="repositories" />}
      <ErrorBox error={repos.error} />
      <table>
        <thead>
          <tr>
            <th scope="col">Repository</th>
            <th scope="col">Default branch</th>
            <th scope="col">Approval rule templates</th>
            <th scope="col">Branches</th>
          </tr>
        </thead>
        <tbody>
          {repos.data?.repositories.map((r) => (
            <RepositoryRow
              key={r.repositoryId}
              asOf={asOf}
              repository={r}
              open={open === r.name}
              toggle={() => setOpen(open === r.name ? undefined : r.name)}
            />
          ))}
        </tbody>
      </table>
      <Pager what="repositories" keyset={repos} />
    </section>
  );
}

function RepositoryRow({
  asOf,
  repository: r,
  open,
  toggle,
}: {
  asOf: AsOf;
  repository: { name: string; defaultBranch: string | null; approvalRuleTemplates: string[] };
  open: boolean;
  toggle: () => void;
}) {
  const panel = `branches-${r.name.replace(/[^\w-]/g, '_')}`;
  return (
    <>
      <tr>
        <td>{r.name}</td>
        <td>{r.defaultBranch ?? '—'}</td>
        <td>{r.approvalRuleTemplates.join(', ') || 'none'}</td>
        <td>
          <button
            type="button"
            className="secondary"
            aria-expanded={open}
            aria-controls={open ? panel : undefined}
            onClick={toggle}
          >
            {open ? 'Hide' : 'Show'} branches of {r.name}
          </button>
        </td>
      </tr>
      {open && (
        <tr id={panel}>
          <td colSpan={4}>
            <Branches asOf={asOf} repository={r.name} />
          </td>
        </tr>
      )}
    </>
  );
}

function Branches({ asOf, repository }: { asOf: AsOf; repository: string }) {
  const { id } = asOf;
  const branches = useKeyset(['branches', id, asOf.runId, asOf.limit, repository], (cursor) =>
    call(
      client.GET('/v1/connections/{id}/repositories/{name}/branches', {
        params: {
          path: { id, name: repository },
          query: { ...asOfQuery(asOf), ...(cursor ? { cursor } : {}) },
        },
      }),
    ),
  );
  return (
    <>
      {branches.isPending && <Loading what={`branches of ${repository}`} />}
      <ErrorBox error={branches.error} />
      {branches.data && (
        <table aria-label={`Branches of ${repository}`} className="branches">
          <thead>
            <tr>
              <th scope="col">Branch</th>
              <th scope="col">Head commit</th>
            </tr>
          </thead>
          <tbody>
            {branches.data.branches.map((b) => (
              <tr key={b.name}>
                <td>
                  {b.name}
                  {b.isDefault && <span className="meta"> (default)</span>}
                </td>
                <td>
                  <code>{rev(b.commitId)}</code>
                </td>
              </tr>
            ))}
            {branches.data.branches.length === 0 && (
              <tr>
                <td colSpan={2}>no branches</td>
              </tr>
            )}
          </tbody>
        </table>
      )}
      <Pager what={`branches of ${repository}`} keyset={branches} />
    </>
  );
}

function PullRequests({ asOf }: { asOf: AsOf }) {
  const { id } = asOf;
  const prs = useKeyset(['pull-requests', id, asOf.runId, asOf.limit], (cursor) =>
    call(
      client.GET('/v1/connections/{id}/pull-requests', {
        params: { path: { id }, query: { ...asOfQuery(asOf), ...(cursor ? { cursor } : {}) } },
      }),
    ),
  );
  return (
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
            <th scope="col">Final revision</th>
            <th scope="col">Approvals</th>
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
                <code>{rev(p.revisionId)}</code>
              </td>
              <td>
                {p.approvals.length === 0
                  ? 'none'
                  : p.approvals.map((a) => (
                      <div key={`${a.userArn}${a.revisionId}`}>
                        {short(a.userArn)}: {a.state === 'APPROVE' ? 'approved' : a.state.toLowerCase()}{' '}
                        {a.onFinalRevision ? (
                          'the final revision'
                        ) : (
                          <>
                            revision <code>{rev(a.revisionId)}</code> (earlier)
                          </>
                        )}
                      </div>
                    ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pager what="pull requests" keyset={prs} />
    </section>
  );
}

function IamUsers({ asOf }: { asOf: AsOf }) {
  const { id } = asOf;
  const users = useKeyset(['iam-users', id, asOf.runId, asOf.limit], (cursor) =>
    call(
      client.GET('/v1/connections/{id}/iam-users', {
        params: { path: { id }, query: { ...asOfQuery(asOf), ...(cursor ? { cursor } : {}) } },
      }),
    ),
  );
  return (
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
      <Pager what="IAM users" keyset={users} />
    </section>
  );
}
