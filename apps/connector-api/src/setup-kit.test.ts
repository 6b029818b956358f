import { describe, expect, it } from 'vitest';
import { PROBES } from './connect/probe-permissions.js';
import {
  assessPermissions,
  PERMISSION_ACTIONS,
  PERMISSIONS,
  type PermissionAction,
  type ProbeOutcome,
} from './permissions.js';
import { buildSetupKit, MANAGED_CODECOMMIT_POLICY, MANAGED_IAM_POLICY } from './setup-kit.js';

const kit = buildSetupKit('444455556666', 'cce-test-external-id');

describe('setup kit', () => {
  // That the catalog holds every call the product makes is proven by running the product against
  // fake-aws (apps/checks-evaluator/src/permission-catalog.int.test.ts), not by a copied list.
  it('the permissions policy allows exactly the catalog, all of it reads', () => {
    const actions = kit.permissionsPolicy.Statement.flatMap((s) => s.Action as string[]);
    expect([...actions].sort()).toEqual([...PERMISSION_ACTIONS].sort());
    for (const a of actions)
      expect(a).toMatch(/^(codecommit|iam):(List|Get|BatchGet|Describe|Evaluate|GenerateCredentialReport)/);
    for (const s of kit.permissionsPolicy.Statement) expect(s.Effect).toBe('Allow');
  });

  it('the trust policy trusts only the platform account, with the External ID', () => {
    expect(kit.trustPolicy.Statement).toEqual([
      {
        Sid: 'CodeCommitEvidenceAssumeRole',
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::444455556666:root' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'sts:ExternalId': 'cce-test-external-id' } },
      },
    ]);
  });

  it('the CloudFormation template creates the role with both policies and outputs its ARN', () => {
    const t = kit.cloudFormationTemplate as any;
    const role = t.Resources.CodeCommitEvidenceRole;
    expect(role.Type).toBe('AWS::IAM::Role');
    expect(role.Properties.Policies[0].PolicyDocument).toEqual(kit.permissionsPolicy);
    const trust = role.Properties.AssumeRolePolicyDocument.Statement[0];
    expect(trust.Condition).toEqual(kit.trustPolicy.Statement[0]?.Condition);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's own substitution syntax
    expect(trust.Principal.AWS['Fn::Sub']).toBe('arn:${AWS::Partition}:iam::444455556666:root');
    expect(t.Outputs.RoleArn.Value).toEqual({ 'Fn::GetAtt': ['CodeCommitEvidenceRole', 'Arn'] });
    expect(JSON.parse(JSON.stringify(t))).toEqual(t);
  });

  it('the managed-policy alternative names what AWSCodeCommitReadOnly lacks and which checks need it', () => {
    const alt = kit.managedPolicyAlternative;
    expect(alt.policies).toEqual([MANAGED_CODECOMMIT_POLICY, MANAGED_IAM_POLICY]);
    expect(alt.checksNeedingIam).toEqual([
      'codecommit-offboarded-user-access',
      'codecommit-user-mfa',
      'codecommit-branch-protection-admins',
    ]);
    expect(alt.note).toContain('IAMReadOnlyAccess');
    expect(alt.note).toContain('iam:GetCredentialReport');
    const lacking = /access checks need \(([^)]*)\)/.exec(alt.note)?.[1]?.split(', ') ?? [];
    expect(lacking).toContain('iam:GetAccountAuthorizationDetails');
    expect(lacking).not.toContain('iam:ListUsers');
  });
});

describe('permission catalog', () => {
  it('has one probe and one entry, with at least one scope, per action', () => {
    expect(Object.keys(PROBES).sort()).toEqual([...PERMISSION_ACTIONS].sort());
    expect(PERMISSIONS.map((p) => p.action)).toEqual([...PERMISSION_ACTIONS]);
    for (const p of PERMISSIONS) expect(p.scopes.length, p.action).toBeGreaterThan(0);
  });

  const outcomes = (denied: PermissionAction[]) =>
    new Map<PermissionAction, ProbeOutcome>(
      PERMISSION_ACTIONS.map((a) => [a, denied.includes(a) ? 'denied' : 'granted']),
    );

  it('a core action missing is core; an optional one optional', () => {
    const r = assessPermissions(outcomes(['codecommit:GetPullRequest', 'iam:ListSSHPublicKeys']));
    expect(r.missingCore.map((m) => m.action)).toEqual(['codecommit:GetPullRequest']);
    expect(r.missingOptional.map((m) => m.action)).toEqual(['iam:ListSSHPublicKeys']);
  });

  it('per-entity IAM reads are not needed when GetAccountAuthorizationDetails is granted, and are when it is not', () => {
    const withGaad = assessPermissions(outcomes(['iam:ListUsers', 'iam:GetUserPolicy', 'iam:ListRoles']));
    expect(withGaad.missingCore).toEqual([]);
    expect(withGaad.missingOptional).toEqual([]);
    expect(withGaad.notNeeded).toEqual(['iam:ListUsers', 'iam:GetUserPolicy', 'iam:ListRoles']);
    const without = assessPermissions(outcomes(['iam:GetAccountAuthorizationDetails', 'iam:GetUserPolicy']));
    expect(without.missingCore).toEqual([]);
    expect(without.notNeeded).toEqual(['iam:GetAccountAuthorizationDetails']);
    expect(without.missingOptional.map((m) => m.action)).toEqual(['iam:GetUserPolicy']);
  });

  it('inconclusive probes are reported as unverified, never as granted or missing', () => {
    const m = outcomes([]);
    m.set('iam:ListRoles', 'unverified');
    const r = assessPermissions(m);
    expect(r.unverified).toEqual(['iam:ListRoles']);
    expect(r.granted).not.toContain('iam:ListRoles');
  });
});
