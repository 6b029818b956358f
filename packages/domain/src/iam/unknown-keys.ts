/**
 * Why an analysis could not decide a condition: the key (or policy variable) it would need, and a
 * phrase that says why the analysis cannot know it, so that a finding's reason names the cause
 * ("depends on aws:SourceIp, which varies per request") instead of only "undecided".
 */

/** An undecided outcome: why, and the condition keys or variables it depends on. */
export interface UnknownOutcome {
  unknown: string;
  keys?: string[];
}

// Keys that describe one request rather than the principal or the resource: no analysis of what a
// principal may do can know them (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html).
const PER_REQUEST_KEYS = new Set(
  [
    'aws:SourceIp',
    'aws:VpcSourceIp',
    'aws:SourceVpc',
    'aws:SourceVpce',
    'aws:SourceVpcArn',
    'aws:MultiFactorAuthPresent',
    'aws:MultiFactorAuthAge',
    'aws:CurrentTime',
    'aws:EpochTime',
    'aws:SecureTransport',
    'aws:UserAgent',
    'aws:Referer',
    'aws:TokenIssueTime',
    'aws:ViaAWSService',
    'aws:CalledVia',
    'aws:CalledViaFirst',
    'aws:CalledViaLast',
    'aws:SourceIdentity',
    'aws:TagKeys',
    'codecommit:References',
    'sts:ExternalId',
    'sts:RoleSessionName',
    'sts:SourceIdentity',
    'sts:TransitiveTagKeys',
  ].map((key) => key.toLowerCase()),
);
const PER_REQUEST_PREFIXES = ['aws:requesttag/'];

/** Whether a key's value belongs to each request (the caller's IP, MFA, time, …). */
export function variesPerRequest(key: string): boolean {
  const lower = key.toLowerCase();
  return PER_REQUEST_KEYS.has(lower) || PER_REQUEST_PREFIXES.some((prefix) => lower.startsWith(prefix));
}

/** `depends on aws:SourceIp, which varies per request`. */
export function describeUnknownKey(key: string): string {
  return variesPerRequest(key)
    ? `depends on ${key}, which varies per request`
    : `depends on ${key}, which this analysis does not know`;
}

/** The outcome of a condition on a key the request context leaves unknown. */
export function unknownKey(key: string): UnknownOutcome {
  return { unknown: describeUnknownKey(key), keys: [key] };
}

/** The outcome of a policy variable the request context leaves unknown. */
export function unknownVariable(variable: string): UnknownOutcome {
  return {
    unknown: `policy variable \${${variable}} may be set (${describeUnknownKey(variable)})`,
    keys: [variable],
  };
}

/** The distinct keys of some outcomes, in first-seen order. */
export function keysOf(outcomes: readonly { keys?: string[] | undefined }[]): string[] {
  return [...new Set(outcomes.flatMap((outcome) => outcome.keys ?? []))];
}
