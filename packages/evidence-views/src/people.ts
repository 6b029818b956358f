import type { IdentityLinkEvidence, PersonEvidence } from '@codecommit-evidence/domain';
import type { IdentityLink, Person } from '@codecommit-evidence/evidence-store';

/** A roster row as the checks read it; the offboarding date counts from its first instant (UTC). */
export function personEvidence(
  person: Pick<Person, 'email' | 'name' | 'status' | 'offboarded_at'>,
): PersonEvidence {
  return {
    email: person.email,
    name: person.name ?? '',
    status: person.status,
    offboardedAt: person.offboarded_at ? new Date(`${person.offboarded_at}T00:00:00.000Z`) : null,
  };
}

export function identityLinkEvidence(
  link: Pick<IdentityLink, 'iam_user_arn' | 'person_email'>,
): IdentityLinkEvidence {
  return { iamUserArn: link.iam_user_arn, personEmail: link.person_email };
}

/** The person an IAM user belongs to: the domain's own rule, so the access review names the same person the offboarding check judges. */
export { linkUserToPerson, type PersonLink as UserPersonLink } from '@codecommit-evidence/domain';
