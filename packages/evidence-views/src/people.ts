import type {
  CheckEvidence,
  IamUserEvidence,
  IdentityLinkEvidence,
  LinkMethod,
  PersonEvidence,
} from '@codecommit-evidence/domain';
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

export interface UserPersonLink {
  person: PersonEvidence | null;
  method: LinkMethod | null;
  email: string | null;
}

const norm = (s: string) => s.trim().toLowerCase();

/**
 * The person an IAM user belongs to, by the rule of DESIGN.md and the domain's CHECKS.md: an explicit
 * link, else an `email` tag naming a roster address, else a user name equal to one.
 * TODO(domain): the domain's own `linkUserToPerson` is not exported from its package surface; this
 * mirrors it (the access review must name the same person the offboarding check judges) and a test
 * pins the two together through the check's findings.
 */
export function linkUserToPerson(
  user: Pick<IamUserEvidence, 'arn' | 'userName' | 'tags'>,
  evidence: Pick<CheckEvidence, 'people' | 'identityLinks'>,
): UserPersonLink {
  const byEmail = new Map(evidence.people.map((p) => [norm(p.email), p]));
  const explicit = evidence.identityLinks.filter((l) => l.iamUserArn === user.arn);
  if (explicit.length > 0) {
    const people = explicit.map((l) => ({
      email: l.personEmail,
      person: byEmail.get(norm(l.personEmail)) ?? null,
    }));
    const chosen =
      people.find((p) => p.person?.status === 'offboarded') ?? people.find((p) => p.person) ?? people[0]!;
    return { person: chosen.person, method: 'explicit', email: chosen.email };
  }
  for (const [key, value] of Object.entries(user.tags)) {
    if (norm(key) !== 'email') continue;
    const person = byEmail.get(norm(value));
    if (person) return { person, method: 'email_tag', email: person.email };
  }
  const byName = byEmail.get(norm(user.userName));
  if (byName) return { person: byName, method: 'user_name', email: byName.email };
  return { person: null, method: null, email: null };
}
