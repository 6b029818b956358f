/**
 * The access-analysis benchmark behind `pnpm bench:access-analysis` (entry:
 * scripts/bench-access-analysis.ts). Generates the benchmark account (`generateScenario`: repositories,
 * users, groups, roles; no pull requests, which the analysis does not read), optionally with extra roles
 * and users allowed to assume them, builds every principal's policies as evidence-views does, and times
 * in isolation, in one process, without a database:
 *   own-policies-synced-only  each principal's own policies on the synced repositories (before issue 16)
 *   own-policies-all-regions  the same plus every CodeCommit Region of the partition
 *   every-path                createAccessAnalysis: own policies in every Region + role assumption
 *   own-policies-memoised     own policies (every Region) once per distinct policy set (as issue 15 does)
 *   role-closure              createAccessAnalysis with that memo filled: what the closure itself costs
 * Prints figures; not part of `pnpm test`; not built into dist.
 */
import { parseArgs } from 'node:util';
import { AWS_REGIONS } from '@codecommit-evidence/aws-clients';
import {
  analyzeCodeCommitAccess,
  type CodeCommitAccessSummary,
  createAccessAnalysis,
  type PrincipalPolicies,
  type RepositoryRef,
} from '@codecommit-evidence/domain';
import {
  asPolicyDocument,
  indexPolicies,
  rolePrincipalPolicies,
  userPrincipalPolicies,
} from '@codecommit-evidence/evidence-views';
import { awsManagedPolicies, generateScenario } from '@codecommit-evidence/fake-aws';

function time<T>(fn: () => T): { ms: number; value: T } {
  const start = process.hrtime.bigint();
  const value = fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, value };
}

export function runAccessAnalysisBench(argv: string[]): void {
  const { values } = parseArgs({
    args: argv,
    options: {
      repos: { type: 'string', default: '1000' },
      users: { type: 'string', default: '2000' },
      'extra-roles': { type: 'string', default: '0' },
      /** Skips the runs that analyse every principal's own policies one by one (minutes at 1,000 repositories). */
      'memoised-only': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const repos = Number(values.repos);
  const userCount = Number(values.users);
  const extraRoles = Number(values['extra-roles']);
  const scenario = generateScenario({ repos, prsPerRepo: 0, users: userCount });
  const account = scenario.account;
  const accountId = account.accountId;
  const region = Object.keys(account.regions)[0]!;

  // Extra roles: a chain Hop-i -> Dev-i per pair, trusted by the account; every tenth user may assume
  // any Hop role, so the closure has real work: users × roles entry checks and two-step chains.
  for (let i = 0; i < extraRoles; i += 2) {
    const id = (n: number) => `AROAEXTRA${String(n).padStart(10, '0')}`;
    const base = {
      path: '/',
      createDate: '2025-01-01T00:00:00Z',
      maxSessionDuration: 3600,
      permissionsBoundary: null,
      tags: [],
    };
    account.roles.push(
      {
        ...base,
        roleName: `Hop-${i}`,
        roleId: id(i),
        trustPolicy: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${accountId}:root` },
              Action: 'sts:AssumeRole',
            },
          ],
        },
        inlinePolicies: [
          {
            name: 'hop',
            document: {
              Version: '2012-10-17',
              Statement: [
                {
                  Effect: 'Allow',
                  Action: 'sts:AssumeRole',
                  Resource: `arn:aws:iam::${accountId}:role/Dev-${i}`,
                },
              ],
            },
          },
        ],
        attachedPolicies: [],
      },
      {
        ...base,
        roleName: `Dev-${i}`,
        roleId: id(i + 1),
        trustPolicy: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${accountId}:role/Hop-${i}` },
              Action: 'sts:AssumeRole',
            },
          ],
        },
        inlinePolicies: [],
        attachedPolicies: ['arn:aws:iam::aws:policy/AWSCodeCommitPowerUser'],
      },
    );
  }
  if (extraRoles > 0)
    account.groups.push({
      groupName: 'Hoppers',
      groupId: 'AGPAHOPPERS000000001',
      path: '/',
      createDate: '2025-01-01T00:00:00Z',
      attachedPolicies: [],
      inlinePolicies: [
        {
          name: 'hop-any',
          document: {
            Version: '2012-10-17',
            Statement: [
              { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: `arn:aws:iam::${accountId}:role/Hop-*` },
            ],
          },
        },
      ],
    });
  account.users.forEach((u, i) => {
    if (extraRoles > 0 && i % 10 === 0) u.groups = ['Hoppers'];
  });

  const managed = [...awsManagedPolicies(), ...account.policies].map((p) => ({
    arn: p.arn,
    default_version_id: p.defaultVersionId,
    document: p.versions.find((v) => v.versionId === p.defaultVersionId)?.document ?? null,
  }));
  const index = indexPolicies(
    account.groups.map((g) => ({
      arn: `arn:aws:iam::${accountId}:group/${g.groupName}`,
      group_name: g.groupName,
      attached_policy_arns: g.attachedPolicies,
      inline_policies: g.inlinePolicies.map((p) => ({ name: p.name, document: p.document })),
    })),
    managed,
  );
  const users: PrincipalPolicies[] = account.users.map(
    (u) =>
      userPrincipalPolicies(
        {
          arn: `arn:aws:iam::${accountId}:user${u.path}${u.userName}`,
          user_name: u.userName,
          user_id: u.userId,
          tags: Object.fromEntries(u.tags.map((t) => [t.Key, t.Value])),
          group_names: u.groups,
          attached_policy_arns: u.attachedPolicies,
          inline_policies: u.inlinePolicies.map((p) => ({ name: p.name, document: p.document })),
          permissions_boundary_arn: u.permissionsBoundary,
        },
        index,
      ).principal,
  );
  const roles = account.roles.map((r) => ({
    principal: rolePrincipalPolicies(
      {
        arn: `arn:aws:iam::${accountId}:role${r.path}${r.roleName}`,
        role_name: r.roleName,
        tags: {},
        attached_policy_arns: r.attachedPolicies,
        inline_policies: r.inlinePolicies.map((p) => ({ name: p.name, document: p.document })),
        permissions_boundary_arn: r.permissionsBoundary,
      },
      index,
    ).principal,
    trustPolicy: asPolicyDocument(r.trustPolicy),
  }));
  const refs: RepositoryRef[] = (account.regions[region]?.repositories ?? []).map((r) => ({
    name: r.repositoryName,
    arn: `arn:aws:codecommit:${region}:${accountId}:${r.repositoryName}`,
    defaultBranch: r.defaultBranch,
  }));
  const scope = {
    accountId,
    partition: 'aws',
    regions: AWS_REGIONS.filter((r) => r.codecommit && r.partition === 'aws').map((r) => r.name),
  };
  const principals = [...users, ...roles.map((r) => r.principal)];

  const plain = !values['memoised-only'];
  const skipped = { ms: Number.NaN, value: [] as CodeCommitAccessSummary[] };
  const ownSynced = plain ? time(() => principals.map((p) => analyzeCodeCommitAccess(p, refs))) : skipped;
  const ownAll = plain ? time(() => principals.map((p) => analyzeCodeCommitAccess(p, refs, scope))) : skipped;
  const everyPath = plain
    ? time(() => {
        const analysis = createAccessAnalysis({ repositories: refs, scope, roles });
        return principals.map((p) => analysis.analyze(p));
      })
    : skipped;
  // Own access memoised per policy set, as the evaluator does per distinct policy set. The memo is
  // filled first (ownMemoised), so the every-path run after it costs the role closure alone. (The
  // bench's key is the list of policy sources; it ignores per-principal variables, which the generated
  // account does not use.)
  const memo = new Map<string, CodeCommitAccessSummary>();
  const keyOf = (p: PrincipalPolicies) =>
    `${p.type}|${p.policies.map((x) => JSON.stringify(x.source)).join(',')}`;
  const ownMemoised = time(() =>
    principals.map((p) => {
      let summary = memo.get(keyOf(p));
      if (!summary) {
        summary = analyzeCodeCommitAccess(p, refs, scope);
        memo.set(keyOf(p), summary);
      }
      return summary;
    }),
  );
  const distinct = memo.size;
  const memoOwn = (p: PrincipalPolicies) => ({
    ...memo.get(keyOf(p))!,
    principalArn: p.arn,
    principalType: p.type,
  });
  const memoised = time(() => {
    const analysis = createAccessAnalysis({ repositories: refs, scope, roles, ownAccess: memoOwn });
    return principals.map((p) => analysis.analyze(p));
  });

  const viaRoles = memoised.value.filter((s) =>
    (s.viaRoles ?? []).some((p) => p.decision === 'allow'),
  ).length;
  const mismatches = everyPath.value.filter(
    (s, i) =>
      s.hasAccess !== memoised.value[i]!.hasAccess ||
      s.viaRoles?.length !== memoised.value[i]!.viaRoles?.length,
  ).length;
  const result = {
    repositories: refs.length,
    users: users.length,
    roles: roles.length,
    regions: scope.regions.length,
    distinctPolicySets: distinct,
    principalsWithAccessThroughARole: viaRoles,
    ms: {
      ownPoliciesSyncedOnly: Math.round(ownSynced.ms),
      ownPoliciesAllRegions: Math.round(ownAll.ms),
      everyPath: Math.round(everyPath.ms),
      ownPoliciesAllRegionsMemoised: Math.round(ownMemoised.ms),
      roleClosure: Math.round(memoised.ms),
    },
    memoisedAgreesWithPlain: plain ? mismatches === 0 : null,
  };
  if (values.json) console.log(JSON.stringify(result));
  else {
    console.log(
      `${result.repositories} repositories, ${result.users} users, ${result.roles} roles, ${result.regions} Regions, ${result.distinctPolicySets} distinct policy sets; ${viaRoles} principals reach CodeCommit through a role`,
    );
    for (const [name, ms] of Object.entries(result.ms)) console.log(`  ${name.padEnd(32)} ${ms} ms`);
    console.log(`  memoised and plain agree: ${result.memoisedAgreesWithPlain}`);
  }
}
