import { hasGaps, inventoryGapFindings, unlessScopeMissing } from './completeness.js';
import { type CheckEvidence, type IamUserEvidence, SYNC_STEPS } from './evidence.js';
import { iso, listPhrase } from './format.js';
import {
  accessEvidence,
  describeAccessPaths,
  isOffboarded,
  linkUserToPerson,
  type PersonLink,
  type UserAccess,
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

const LINK_METHOD_TEXT = {
  explicit: 'an explicit link',
  email_tag: 'its email tag',
  user_name: 'its user name',
};

function linkEvidence(link: PersonLink): Record<string, unknown> {
  return {
    method: link.method,
    email: link.email,
    personName: link.person?.name ?? null,
    personStatus: link.person?.status ?? null,
    offboardedAt: iso(link.person?.offboardedAt),
    ...(link.tag ? { tag: link.tag } : {}),
  };
}

function credentialUseAfter(user: IamUserEvidence, since: Date | null): string[] {
  if (!since) return [];
  const used: string[] = [];
  const c = user.credentials;
  if (c.passwordLastUsed && c.passwordLastUsed > since)
    used.push(`console password at ${iso(c.passwordLastUsed)}`);
  for (const k of c.accessKeys ?? []) {
    if (k.lastUsed && k.lastUsed > since)
      used.push(`access key${k.id ? ` ${k.id}` : ''} at ${iso(k.lastUsed)}`);
  }
  return used;
}

function userEvidence(user: IamUserEvidence, access: UserAccess, link: PersonLink) {
  return {
    link: linkEvidence(link),
    access: accessEvidence(user.access),
    usableCredentials: access.credentials.usable,
    ...(access.credentials.unknown.length > 0 ? { credentialsNotCollected: access.credentials.unknown } : {}),
    credentialReportRow: user.credentials.credentialReportRow,
    ...(hasGaps(access.gaps) ? { gaps: access.gaps } : {}),
  };
}

function judgeUser(user: IamUserEvidence, evidence: CheckEvidence): Finding | null {
  const { run } = evidence;
  const access = userAccess(user, run);
  const link = linkUserToPerson(user, evidence);
  const base = { resourceType: 'iam_user' as const, resourceId: user.arn, resourceName: user.userName };
  const ev = userEvidence(user, access, link);
  const person = link.person;
  const how = link.method ? LINK_METHOD_TEXT[link.method] : '';

  if (person && isOffboarded(person, run.evaluatedAt)) {
    const who = `offboarded person ${person.email} (linked by ${how})`;
    if (access.state === 'yes') {
      const usedAfter = credentialUseAfter(user, person.offboardedAt);
      const policies = describeAccessPaths(user.access);
      return {
        ...base,
        status: 'fail',
        // A fail on the credentials that were collected stays a fail, but a reader must learn that
        // the list is not complete, and why (pnpm chaos: a malformed SSH key listing left it silent).
        reason: `IAM user ${user.userName} belongs to ${who} and still has CodeCommit access${policies ? ` (${policies})` : ''} with ${listPhrase(access.credentials.usable, 3)}${access.credentials.unknown.length > 0 ? `; not collected in this run: ${access.credentials.unknown.join('; ')}` : ''}.`,
        evidence: { ...ev, ...(usedAfter.length > 0 ? { usedAfterOffboarding: usedAfter } : {}) },
      };
    }
    if (access.state === 'no') {
      return {
        ...base,
        status: 'pass',
        reason: `Access removed: IAM user ${user.userName} belongs to ${who} and has no CodeCommit access because ${access.why}.`,
        evidence: ev,
      };
    }
    return {
      ...base,
      status: 'unknown',
      reason: `IAM user ${user.userName} belongs to ${who}, but whether it still has CodeCommit access is unknown: ${access.why}.`,
      evidence: ev,
    };
  }

  if (person) {
    // Linked to an active person (or one whose offboarding date is after this run). Without access the
    // user is out of scope; with unknown access the outcome is pass or out of scope, never a fail —
    // unless the access is unknown because this run's data is missing: then the user, judged before,
    // must not vanish from the check, and is unknown naming the gap.
    if (access.state === 'unknown' && hasGaps(access.gaps)) {
      return {
        ...base,
        status: 'unknown',
        reason: `IAM user ${user.userName} belongs to active person ${person.email} (linked by ${how}), and whether it has CodeCommit access is unknown: ${access.why}.`,
        evidence: ev,
      };
    }
    if (access.state !== 'yes') return null;
    return {
      ...base,
      status: 'pass',
      reason: `IAM user ${user.userName} has CodeCommit access and belongs to active person ${person.email} (linked by ${how}).`,
      evidence: ev,
    };
  }

  if (access.state === 'no') return null;
  const notLinked = link.email
    ? `is linked to ${link.email}, who is not in the roster`
    : 'is not linked to a person (no explicit link, email tag or user name matching a roster email)';
  return {
    ...base,
    status: 'unknown',
    reason:
      access.state === 'yes'
        ? `IAM user ${user.userName} has CodeCommit access but ${notLinked}.`
        : `IAM user ${user.userName} ${notLinked}, and whether it has CodeCommit access is unknown: ${access.why}.`,
    evidence: ev,
  };
}

/** The steps every user finding depends on: the IAM inventory (users, their policies, the roles). */
const USER_SCOPE = [SYNC_STEPS.authorizationDetails, SYNC_STEPS.users, SYNC_STEPS.roles];

/** `codecommit-offboarded-user-access`: one finding per IAM user in scope. */
export function evaluateOffboardedUserAccess(evidence: CheckEvidence): CheckResult {
  return runSteps(offboardedUserAccessSteps(evidence));
}

/** {@link evaluateOffboardedUserAccess} paused after each user. */
export function* offboardedUserAccessSteps(evidence: CheckEvidence): CheckSteps {
  const findings: Finding[] = [
    ...inventoryGapFindings(
      evidence.run,
      [SYNC_STEPS.authorizationDetails, SYNC_STEPS.users],
      'IAM user inventory',
    ),
  ];
  for (const user of evidence.users) {
    const finding = judgeUser(user, evidence);
    if (finding) findings.push(unlessScopeMissing(finding, evidence.run, USER_SCOPE));
    yield;
  }
  return buildCheckResult('codecommit-offboarded-user-access', findings);
}

export const offboardedUserAccessCheck: CheckDefinition = {
  id: 'codecommit-offboarded-user-access',
  title: 'AWS CodeCommit access should be removed for offboarded users',
  description:
    'Every IAM user linked to an offboarded person (explicit link, else an email tag, else a user name equal to the email) must have no CodeCommit access: no path (its own policies on any repository or in any CodeCommit Region, or a role of the account it may assume, transitively) allowing a codecommit action, or no usable credential. Every IAM user with CodeCommit access must be linked to a person.',
  controls: { soc2: ['CC6.2', 'CC6.3'], iso27001: ['A.5.18', 'A.6.5', 'A.8.2'] },
  howToFix: [
    'For each failing IAM user, remove what lets it reach CodeCommit, or delete the user:',
    '1. Console password: `aws iam delete-login-profile --user-name <user>`.',
    '2. Access keys: `aws iam update-access-key --user-name <user> --access-key-id <id> --status Inactive`, then `aws iam delete-access-key --user-name <user> --access-key-id <id>`.',
    '3. SSH keys: `aws iam delete-ssh-public-key --user-name <user> --ssh-public-key-id <id>`.',
    '4. HTTPS Git credentials: `aws iam delete-service-specific-credential --user-name <user> --service-specific-credential-id <id>`.',
    "5. Permissions: `aws iam remove-user-from-group` for each group and `aws iam detach-user-policy` / `aws iam delete-user-policy` for the policies named in the finding, including those that allow `sts:AssumeRole` into a role named in the finding (or remove the user from that role's trust policy: `aws iam update-assume-role-policy --role-name <role> --policy-document file://trust.json`).",
    'To delete the user entirely, remove the above (plus MFA devices and signing certificates), then `aws iam delete-user --user-name <user>`.',
    'For an unknown finding "not linked to a person": link the user to its owner with PUT /v1/identity-links, or tag it: `aws iam tag-user --user-name <user> --tags Key=email,Value=<address>`; a shared or machine user should be replaced by a role.',
  ].join('\n'),
  evaluate: evaluateOffboardedUserAccess,
  evaluateInSteps: offboardedUserAccessSteps,
};
