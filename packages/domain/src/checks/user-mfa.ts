import { describeGaps, gapsFor, hasGaps, inventoryGapFindings, unlessScopeMissing } from './completeness.js';
import { type CheckEvidence, type IamUserEvidence, SYNC_STEPS } from './evidence.js';
import { iso, listPhrase } from './format.js';
import {
  accessEvidence,
  accessUnknownReason,
  describeAccessPaths,
  describeRolePath,
  mfaOnlyPaths,
  statementEvidence,
  userAccess,
} from './principals.js';
import {
  buildCheckResult,
  type CheckDefinition,
  type CheckResult,
  type CheckSteps,
  type Finding,
  runSteps,
} from './result.js';

function paths(user: IamUserEvidence): string {
  const phrase = describeAccessPaths(user.access);
  return phrase ? ` (${phrase})` : '';
}

function judgeUser(user: IamUserEvidence, evidence: CheckEvidence): Finding | null {
  const { run } = evidence;
  // Decision: users without CodeCommit access are out of scope (the check is about CodeCommit users).
  if (user.access.hasAccess === false) return null;
  const access = userAccess(user, run);
  // A user whose only path needs MFA it lacks has no access, but the MFA check still names that path.
  if (access.state === 'no' && (mfaOnlyPaths(user.access).length === 0 || access.credentials.state === 'no'))
    return null;

  const c = user.credentials;
  const base = { resourceType: 'iam_user' as const, resourceId: user.arn, resourceName: user.userName };
  const reportGaps = gapsFor(run, [SYNC_STEPS.credentialReport]);
  const ev = {
    passwordEnabled: c.passwordEnabled,
    passwordLastUsed: iso(c.passwordLastUsed),
    mfaActive: c.mfaActive,
    credentialReportRow: c.credentialReportRow,
    usableCredentials: access.credentials.usable,
    access: accessEvidence(user.access),
    ...(hasGaps(access.gaps) ? { gaps: access.gaps } : {}),
  };

  if (c.passwordEnabled === false) {
    return {
      ...base,
      status: 'not_applicable',
      reason: `IAM user ${user.userName} has no console password, so console MFA does not apply to it.`,
      evidence: ev,
    };
  }
  if (c.passwordEnabled === null) {
    return {
      ...base,
      status: 'unknown',
      reason: `Whether IAM user ${user.userName} has a console password and MFA is unknown: ${describeGaps(run, [SYNC_STEPS.credentialReport])}.`,
      evidence: { ...ev, gaps: reportGaps },
    };
  }
  // Its only CodeCommit paths are roles whose trust policy requires MFA: CodeCommit needs MFA.
  const gated = mfaOnlyPaths(user.access);
  if (gated.length > 0) {
    const roles = listPhrase(gated.map(describeRolePath), 2);
    const keys = [...new Set(gated.flatMap((p) => p.conditionKeys))].join(', ');
    const mfaRequiredBy = gated.map((p) => ({
      path: describeRolePath(p),
      conditionKeys: p.conditionKeys,
      trustedBy: p.steps.flatMap((s) => s.trustedBy.map(statementEvidence)),
    }));
    return {
      ...base,
      status: 'pass',
      reason:
        c.mfaActive === true
          ? `IAM user ${user.userName} reaches CodeCommit only ${roles}, whose trust policy requires MFA (${keys}), and MFA is active.`
          : `IAM user ${user.userName} has a console password but reaches CodeCommit only ${roles}, whose trust policy requires MFA (${keys}); ${c.mfaActive === false ? 'it has no MFA device, so it cannot assume the role' : 'without MFA it cannot assume the role'}.`,
      evidence: { ...ev, mfaRequiredBy },
    };
  }
  // A console password is enabled, so the user holds a usable credential; only its policies may be unknown.
  if (user.access.hasAccess === 'unknown') {
    // With MFA on, the outcome is pass or out of scope: never a fail, so no finding.
    if (c.mfaActive === true) return null;
    return {
      ...base,
      status: 'unknown',
      reason: `IAM user ${user.userName} has a console password ${c.mfaActive === false ? 'without MFA' : 'and an unknown MFA state'}, but whether it has CodeCommit access is unknown: ${accessUnknownReason(user.access, run)}.`,
      evidence: ev,
    };
  }
  if (c.mfaActive === true) {
    return {
      ...base,
      status: 'pass',
      reason: `IAM user ${user.userName} has CodeCommit access and a console password, and MFA is active.`,
      evidence: ev,
    };
  }
  if (c.mfaActive === false) {
    return {
      ...base,
      status: 'fail',
      reason: `IAM user ${user.userName} has CodeCommit access${paths(user)} and a console password, but no MFA device.`,
      evidence: ev,
    };
  }
  return {
    ...base,
    status: 'unknown',
    reason: `IAM user ${user.userName} has CodeCommit access and a console password, but its MFA state is unknown: ${describeGaps(run, [SYNC_STEPS.credentialReport])}.`,
    evidence: { ...ev, gaps: reportGaps },
  };
}

function judgeRoot(evidence: CheckEvidence): Finding {
  const { run, root } = evidence;
  const base = {
    resourceType: 'root' as const,
    resourceId: `arn:aws:iam::${run.accountId}:root`,
    resourceName: `root user of ${run.accountId}`,
  };
  const ev = { mfaActive: root?.mfaActive ?? null, credentialReportRow: root?.credentialReportRow ?? null };
  if (root?.mfaActive === true) {
    return { ...base, status: 'pass', reason: 'The root user has MFA enabled.', evidence: ev };
  }
  if (root?.mfaActive === false) {
    return { ...base, status: 'fail', reason: 'The root user has no MFA device.', evidence: ev };
  }
  return {
    ...base,
    status: 'unknown',
    reason: `The root user's MFA state is unknown: ${root ? 'its credential-report row has no mfa_active value' : describeGaps(run, [SYNC_STEPS.credentialReport])}.`,
    evidence: { ...ev, gaps: gapsFor(run, [SYNC_STEPS.credentialReport]) },
  };
}

/** `codecommit-user-mfa`: one finding per IAM user with CodeCommit access, plus the root user. */
export function evaluateUserMfa(evidence: CheckEvidence): CheckResult {
  return runSteps(userMfaSteps(evidence));
}

/** {@link evaluateUserMfa} paused after each user. */
export function* userMfaSteps(evidence: CheckEvidence): CheckSteps {
  const findings: Finding[] = [
    ...inventoryGapFindings(
      evidence.run,
      [SYNC_STEPS.authorizationDetails, SYNC_STEPS.users],
      'IAM user inventory',
    ),
  ];
  // Every user finding depends on the IAM inventory and the credential report; the root's on the report.
  const userScope = [
    SYNC_STEPS.authorizationDetails,
    SYNC_STEPS.users,
    SYNC_STEPS.roles,
    SYNC_STEPS.credentialReport,
  ];
  for (const user of evidence.users) {
    const finding = judgeUser(user, evidence);
    if (finding) findings.push(unlessScopeMissing(finding, evidence.run, userScope));
    yield;
  }
  findings.push(unlessScopeMissing(judgeRoot(evidence), evidence.run, [SYNC_STEPS.credentialReport]));
  return buildCheckResult('codecommit-user-mfa', findings);
}

export const userMfaCheck: CheckDefinition = {
  id: 'codecommit-user-mfa',
  title: 'AWS CodeCommit users should have MFA enabled',
  description:
    "Every IAM user with CodeCommit access (through its own policies or a role it may assume) and a console password must have an active MFA device (credential report `mfa_active`); a user whose only path is a role whose trust policy requires MFA passes. Users without a console password are not applicable; users without CodeCommit access are out of scope. The root user's MFA is reported too.",
  controls: { soc2: ['CC6.1'], iso27001: ['A.5.17', 'A.8.5'] },
  howToFix: [
    'For each failing IAM user, assign an MFA device: the user signs in, opens Security credentials and chooses "Assign MFA device" (passkey/security key, authenticator app or hardware TOTP token); an administrator can do it with `aws iam create-virtual-mfa-device --virtual-mfa-device-name <user> --outfile qr.png --bootstrap-method QRCodePNG` and `aws iam enable-mfa-device --user-name <user> --serial-number <mfa-arn> --authentication-code1 <code> --authentication-code2 <code>`.',
    'Enforce it: attach to every human user (or their group) a policy that denies everything except MFA self-management when no MFA is present, e.g. `{"Effect":"Deny","NotAction":["iam:CreateVirtualMFADevice","iam:EnableMFADevice","iam:GetUser","iam:ListMFADevices","iam:ListVirtualMFADevices","iam:ResyncMFADevice","sts:GetSessionToken"],"Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}`.',
    'A user that does not need the console should have no password: `aws iam delete-login-profile --user-name <user>`.',
    'Root user: sign in as root, open Security credentials and assign an MFA device.',
  ].join('\n'),
  evaluate: evaluateUserMfa,
  evaluateInSteps: userMfaSteps,
};
