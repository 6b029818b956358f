/** The connections list, and the connect flow (the reference's "connect drawer", step by step). */
import { CODECOMMIT_REGIONS } from '@codecommit-evidence/aws-clients/regions';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { ApiFailure, call, client } from '../api/client';
import type { Connection } from '../api/views';
import { Link, navigate, useRoute, useTitle } from '../router';
import { Code, CopyButton, DownloadButton, ErrorBox, Loading, pretty, Section, Status, when } from '../ui';

export function ConnectionsPage() {
  useTitle('Connections');
  const list = useQuery({
    queryKey: ['connections'],
    queryFn: () => call(client.GET('/v1/connections')),
  });
  return (
    <>
      <div className="page-head">
        <h1>Connections</h1>
        <Link to="/connections/new" className="button">
          Connect an AWS account
        </Link>
      </div>
      {list.isPending && <Loading what="connections" />}
      <ErrorBox error={list.error} />
      {list.data && list.data.connections.length === 0 && (
        <p className="empty">No AWS account is connected yet. Connect one to see its checks.</p>
      )}
      {list.data && list.data.connections.length > 0 && (
        <table>
          <caption className="sr-only">Connections</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Status</th>
              <th scope="col">Account</th>
              <th scope="col">Region</th>
              <th scope="col">Last sync</th>
            </tr>
          </thead>
          <tbody>
            {list.data.connections.map((c) => (
              <tr key={c.id}>
                <td>
                  <Link to={c.status === 'pending' ? `/connections/new?id=${c.id}` : `/connections/${c.id}`}>
                    {c.name}
                  </Link>
                </td>
                <td>
                  <Status status={c.status} />
                </td>
                <td>{c.awsAccountId ?? '—'}</td>
                <td>{c.region ?? '—'}</td>
                <td>
                  {c.lastSyncRun ? (
                    <>
                      <Status status={c.lastSyncRun.status} />{' '}
                      {when(c.lastSyncRun.finishedAt ?? c.lastSyncRun.startedAt)}
                    </>
                  ) : (
                    '—'
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

const CHECKS_AUTOMATED = [
  [
    'Offboarded users keep no CodeCommit access',
    'roster vs. IAM users, their effective permissions and credentials',
  ],
  ['MFA for every CodeCommit user with a console password', 'the credential report, the root user included'],
  ['Branch protection binds admins too', 'approval rule templates and who can push, merge or override'],
  ['Peer review of every merged change', 'approvals on the final revision by someone other than the author'],
] as const;

const ARN_FIELD_CODES = new Set([
  'invalid_role_arn',
  'role_not_found_or_not_trusted',
  'external_id_mismatch',
  'external_id_not_enforced',
  'missing_permissions',
  'connection_target_changed',
]);
const REGION_FIELD_CODES = new Set([
  'invalid_region',
  'codecommit_not_in_region',
  'region_partition_mismatch',
  'region_not_enabled',
]);

/** What to change in AWS for each connect error, in a sentence (the API's message gives the specifics). */
const WHAT_TO_CHANGE: Record<string, string> = {
  invalid_role_arn: 'Copy the ARN from the role’s summary page in the IAM console, without spaces.',
  role_not_found_or_not_trusted:
    'Check the role exists in that account and its trust policy names the platform account with the External ID.',
  external_id_mismatch: 'Set the trust policy condition sts:ExternalId to this connection’s External ID.',
  external_id_not_enforced:
    'Add the sts:ExternalId condition to the trust policy: without it anyone who knows the ARN could use the role.',
  missing_permissions:
    'Add the listed actions to the role’s permissions policy (the kit’s policy has them all).',
  invalid_region: 'Pick the Region code shown in the CodeCommit console.',
  codecommit_not_in_region: 'Pick a Region where CodeCommit runs and your repositories are.',
  region_not_enabled: 'Enable the Region for the account, or pick another.',
};

export function NewConnectionPage() {
  useTitle('Connect an AWS account');
  const route = useRoute();
  const qc = useQueryClient();
  const existingId = route.query.get('id');
  const [createError, setCreateError] = useState<unknown>();
  const [connectError, setConnectError] = useState<ApiFailure | Error | undefined>();
  const [busy, setBusy] = useState(false);
  const [runId, setRunId] = useState<number | undefined>();
  const [warnings, setWarnings] = useState<Connection['warnings']>([]);

  const connection = useQuery({
    queryKey: ['connection', existingId],
    enabled: !!existingId,
    queryFn: () => call(client.GET('/v1/connections/{id}', { params: { path: { id: existingId! } } })),
  });
  const kit = useQuery({
    queryKey: ['setup-kit', existingId],
    enabled: !!existingId,
    queryFn: () =>
      call(client.GET('/v1/connections/{id}/setup-kit', { params: { path: { id: existingId! } } })),
  });

  const create = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const name = String(new FormData(e.currentTarget).get('name') ?? '').trim();
    setBusy(true);
    setCreateError(undefined);
    try {
      const res = await call(client.POST('/v1/connections', { body: { name } }));
      await qc.invalidateQueries({ queryKey: ['connections'] });
      navigate(`/connections/new?id=${res.connection.id}`, { replace: true });
    } catch (err) {
      setCreateError(err);
    } finally {
      setBusy(false);
    }
  };

  const connect = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setBusy(true);
    setConnectError(undefined);
    try {
      const res = await call(
        client.POST('/v1/connections/{id}/connect', {
          params: { path: { id: existingId! } },
          body: { roleArn: String(form.get('roleArn') ?? ''), region: String(form.get('region') ?? '') },
        }),
      );
      setWarnings(res.connection.warnings ?? []);
      setRunId(res.syncRunId);
      await qc.invalidateQueries({ queryKey: ['connections'] });
    } catch (err) {
      setConnectError(err as ApiFailure);
    } finally {
      setBusy(false);
    }
  };

  const errCode = connectError instanceof ApiFailure ? connectError.code : undefined;
  const arnError = errCode && ARN_FIELD_CODES.has(errCode) ? connectError : undefined;
  const regionError = errCode && REGION_FIELD_CODES.has(errCode) ? connectError : undefined;
  const otherError = connectError && !arnError && !regionError ? connectError : undefined;

  return (
    <section className="drawer" aria-labelledby="connect-title">
      <h1 id="connect-title">Connect an AWS account</h1>
      <Section title="What this integration reads">
        <p>
          Read-only: CodeCommit repositories, branches, approval rule templates and pull requests with their
          approvals; IAM users, groups, roles and policies, and the credential report. It never writes to your
          account, and temporary credentials are kept in memory only.
        </p>
        <h3>Checks it automates</h3>
        <ul>
          {CHECKS_AUTOMATED.map(([title, how]) => (
            <li key={title}>
              <strong>{title}</strong> — {how}
            </li>
          ))}
        </ul>
      </Section>

      {!existingId && (
        <form onSubmit={create} className="card">
          <h2>1. Name the connection</h2>
          <label htmlFor="connection-name">Connection name</label>
          <input id="connection-name" name="name" required maxLength={200} placeholder="production" />
          <ErrorBox error={createError} />
          <button type="submit" disabled={busy}>
            Create connection
          </button>
        </form>
      )}

      {existingId && (connection.isPending || kit.isPending) && <Loading what="the connection" />}
      <ErrorBox error={connection.error ?? kit.error} />
      {connection.data && kit.data && (
        <>
          <Section title="2. Create the role in your account">
            <p>
              External ID <code data-testid="external-id">{connection.data.connection.externalId}</code>{' '}
              <CopyButton text={connection.data.connection.externalId} label="External ID" />
            </p>
            <p>
              Create a role named{' '}
              <code>{String(kit.data.setupKit.roleName ?? 'CodeCommitEvidenceRole')}</code> (any name works):{' '}
              <em>Another AWS account</em>, account <code>{String(kit.data.setupKit.platformAccountId)}</code>
              , <em>Require external ID</em>, no MFA. Or launch the CloudFormation template.
            </p>
            {(
              [
                ['Trust policy', 'trustPolicy', 'trust-policy.json'],
                ['Permissions policy', 'permissionsPolicy', 'permissions-policy.json'],
                ['CloudFormation template', 'cloudFormationTemplate', 'codecommit-evidence-role.json'],
              ] as const
            ).map(([label, key, file]) => {
              const text = pretty(kit.data.setupKit[key]);
              return (
                <details key={key}>
                  <summary>{label}</summary>
                  <div className="row">
                    <CopyButton text={text} label={label.toLowerCase()} />
                    <DownloadButton text={text} file={file} label={file} />
                  </div>
                  <Code label={label} text={text} />
                </details>
              );
            })}
          </Section>

          <form onSubmit={connect} className="card" noValidate>
            <h2>3. Connect</h2>
            <label htmlFor="role-arn">Role ARN</label>
            <input
              id="role-arn"
              name="roleArn"
              required
              placeholder="arn:aws:iam::123456789012:role/CodeCommitEvidenceRole"
              aria-invalid={!!arnError}
              aria-describedby={arnError ? 'role-arn-error' : undefined}
              spellCheck={false}
            />
            {arnError && <FieldError id="role-arn-error" error={arnError} />}
            <label htmlFor="region">Region of the repositories</label>
            <select
              id="region"
              name="region"
              defaultValue={connection.data.connection.region ?? 'us-east-1'}
              aria-invalid={!!regionError}
              aria-describedby={regionError ? 'region-error' : undefined}
            >
              {CODECOMMIT_REGIONS.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
            {regionError && <FieldError id="region-error" error={regionError} />}
            <ErrorBox error={otherError} />
            <button type="submit" disabled={busy || runId !== undefined}>
              {busy ? 'Checking the role…' : 'Connect'}
            </button>
          </form>
          {runId !== undefined && <Progress id={existingId!} runId={runId} warnings={warnings ?? []} />}
        </>
      )}
    </section>
  );
}

function FieldError({ id, error }: { id: string; error: ApiFailure | Error }) {
  const code = error instanceof ApiFailure ? error.code : undefined;
  return (
    <div className="field-error" id={id}>
      <ErrorBox error={error} />
      {code && WHAT_TO_CHANGE[code] && <p className="help">What to change: {WHAT_TO_CHANGE[code]}</p>}
    </div>
  );
}

/** The first sync's live progress: the run is polled until it finishes. */
export function Progress({
  id,
  runId,
  warnings,
}: {
  id: string;
  runId: number;
  warnings: NonNullable<Connection['warnings']>;
}) {
  const run = useQuery({
    queryKey: ['sync-run', id, runId],
    queryFn: () =>
      call(
        client.GET('/v1/connections/{id}/syncs/{runId}', { params: { path: { id, runId: String(runId) } } }),
      ),
    refetchInterval: (q) =>
      ['succeeded', 'partial', 'failed'].includes(q.state.data?.syncRun.status ?? '') ? false : 1000,
  });
  const r = run.data?.syncRun;
  const steps = Object.entries(r?.steps ?? {});
  const done = steps.filter(([, s]) => ['succeeded', 'failed', 'skipped'].includes(s.status)).length;
  const finished = r && ['succeeded', 'partial', 'failed'].includes(r.status);
  return (
    <Section title="4. First sync">
      {warnings.map((w) => (
        <p key={w.code + (w.message ?? '')} className="notice">
          <code>{w.code}</code> {w.message}
        </p>
      ))}
      <ErrorBox error={run.error} />
      {r && (
        <div role="status" aria-live="polite" data-testid="sync-progress" data-status={r.status}>
          <p>
            Sync run {r.id}: <Status status={r.status} /> — {done} of {steps.length} steps finished
          </p>
          <progress max={Math.max(steps.length, 1)} value={done} aria-label="Sync progress" />
          <ul className="steps">
            {steps.map(([name, s]) => (
              <li key={name}>
                {name}: <Status status={s.status} />
              </li>
            ))}
          </ul>
        </div>
      )}
      {finished && (
        <Link to={`/connections/${id}`} className="button">
          See the checks
        </Link>
      )}
    </Section>
  );
}
