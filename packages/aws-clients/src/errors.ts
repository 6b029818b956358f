/**
 * AWS error classification: callers branch on a small set of codes, never on SDK exception classes.
 *
 * Error names come from the SDK v3 (`err.name` is the modelled exception or, for unmodelled errors such
 * as STS's `AccessDenied`, the wire code; query-protocol services also put the wire code in `Code`).
 * Common codes: https://docs.aws.amazon.com/IAM/latest/APIReference/CommonErrors.html,
 * https://docs.aws.amazon.com/codecommit/latest/APIReference/CommonErrors.html.
 */

import { isOptInRegion } from './regions.js';

export type AwsErrorCode =
  | 'access_denied'
  | 'throttled'
  | 'role_not_assumable'
  | 'invalid_region'
  | 'not_found'
  | 'aws_unavailable'
  | 'invalid_credentials'
  /**
   * AWS answered, but not with what the operation promises: a body that does not parse, a member of
   * the wrong type, a required member missing, a string beyond AWS's documented bound or holding a
   * NUL byte. Not retried: the data of that scope is missing from the run, as for a denied call.
   */
  | 'aws_response_invalid'
  | 'unknown';

export interface AwsErrorClassification {
  code: AwsErrorCode;
  /** For `access_denied`: the IAM action AWS named in the message, e.g. `iam:ListUsers`. */
  action?: string;
  /** The AWS error code (`AccessDeniedException`, `NoSuchEntity`, …) or Node's (`ENOTFOUND`). */
  awsCode?: string;
  message: string;
  /** True where the same call may succeed later without anyone changing anything. */
  retryable: boolean;
  httpStatus?: number;
  requestId?: string;
  /** For `aws_response_invalid`: the path of the bad member in the answer (`repositories[3].repositoryName`). */
  field?: string;
}

export interface ClassifyContext {
  /** `service:Operation`, e.g. `sts:AssumeRole`; AssumeRole's AccessDenied means the trust policy refused. */
  operation?: string;
  /** The Region the call went to, to tell an opt-in Region that is not enabled from bad credentials. */
  region?: string;
}

const ACCESS_DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'UnauthorizedException',
  // CodeCommit: the repository's KMS key refuses the role.
  'EncryptionKeyAccessDeniedException',
]);
const THROTTLED = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'PriorRequestNotComplete',
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'RateLimitWaitExceeded',
  // GenerateCredentialReport called too often.
  'ReportGenerationLimitExceeded',
  'ReportGenerationLimitExceededException',
]);
const NOT_FOUND = new Set([
  'NoSuchEntity',
  'NoSuchEntityException',
  'RepositoryDoesNotExistException',
  'PullRequestDoesNotExistException',
  'ApprovalRuleTemplateDoesNotExistException',
  'BranchDoesNotExistException',
  'CommitDoesNotExistException',
]);
const INVALID_CREDENTIALS = new Set([
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'InvalidSignatureException',
  'IncompleteSignature',
  'IncompleteSignatureException',
  'InvalidAccessKeyId',
  'MissingAuthenticationToken',
  'MissingAuthenticationTokenException',
  'ExpiredToken',
  'ExpiredTokenException',
  'RequestExpired',
  'CredentialsProviderError',
]);
const UNAVAILABLE = new Set([
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'ServiceFailure',
  'ServiceFailureException',
  'InternalFailure',
  'InternalError',
  'InternalServerError',
  'InternalServiceError',
  'InternalServiceErrorException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'NetworkingError',
]);
/** Node socket errors worth retrying: the endpoint exists but the connection failed. */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  Code?: unknown;
  message?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: number; requestId?: string };
  $response?: { statusCode?: number };
  cause?: unknown;
  hostname?: unknown;
}

export function classifyAwsError(err: unknown, context: ClassifyContext = {}): AwsErrorClassification {
  // An AwsError wrapped by someone else (e.g. a credential provider failure inside the SDK) keeps its code.
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if (e instanceof AwsError) return e.classification;
  }
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as ErrorLike;
  const message =
    typeof e.message === 'string' && e.message.length > 0 ? e.message : String(e.name ?? 'error');
  const status = e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
  const names = errorNames(e);
  const awsCode = names[0];
  const base = {
    ...(awsCode !== undefined ? { awsCode } : {}),
    ...(status !== undefined ? { httpStatus: status } : {}),
    ...(e.$metadata?.requestId ? { requestId: e.$metadata.requestId } : {}),
  };
  const has = (set: Set<string>) => names.some((n) => set.has(n));
  const out = (
    code: AwsErrorCode,
    retryable: boolean,
    msg = message,
    extra: Partial<AwsErrorClassification> = {},
  ) => ({
    code,
    message: msg,
    retryable,
    ...base,
    ...extra,
  });

  if (names.includes('CredentialReportParseError')) return out('aws_response_invalid', false);
  if (isDeserializationError(e, status)) {
    // The SDK could not read a 2xx answer (truncated JSON or XML, a member of a type its schema cannot
    // take): smithy's deserializer middleware attaches the raw response and says so in the message.
    const first = message.split('\n')[0]!.slice(0, 300);
    return out('aws_response_invalid', false, `AWS answered a body that cannot be read: ${first}`);
  }
  if (has(ACCESS_DENIED)) {
    if (context.operation === 'sts:AssumeRole') {
      // AssumeRole answers AccessDenied for a missing role, a trust policy that does not name our account,
      // and a wrong or missing External ID alike; AWS does not say which.
      return out('role_not_assumable', false);
    }
    const action = parseDeniedAction(message);
    return out('access_denied', false, message, action ? { action } : {});
  }
  if (has(THROTTLED) || status === 429) return out('throttled', true);
  if (names.includes('RegionDisabledException')) return out('invalid_region', false);
  if (has(INVALID_CREDENTIALS)) {
    // Calling an opt-in Region the account has not enabled is answered with InvalidClientTokenId /
    // UnrecognizedClientException, indistinguishable from a bad key except by the Region.
    // https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-regions.html
    if (context.region && isOptInRegion(context.region) && !names.some((n) => n.startsWith('Expired'))) {
      return out(
        'invalid_region',
        false,
        `${message} (${context.region} is an opt-in Region: is it enabled for this account?)`,
      );
    }
    const expired = names.some((n) => n.startsWith('Expired') || n === 'RequestExpired');
    return out('invalid_credentials', expired);
  }
  if (has(NOT_FOUND)) return out('not_found', false);
  if (names.includes('ENOTFOUND')) {
    // The endpoint's host name does not resolve: for AWS that means the Region does not exist.
    return out('invalid_region', false, `The AWS endpoint does not resolve (${message}); check the Region.`);
  }
  if (/invalid region|region is missing|unresolved region|not a valid region/i.test(message)) {
    return out('invalid_region', false);
  }
  if (
    has(UNAVAILABLE) ||
    names.some((n) => NETWORK_CODES.has(n)) ||
    e.$fault === 'server' ||
    (status ?? 0) >= 500
  ) {
    return out('aws_unavailable', true);
  }
  if (/socket hang up|network|timed? ?out/i.test(message)) return out('aws_unavailable', true);
  return out('unknown', false);
}

function isDeserializationError(e: ErrorLike, status: number | undefined): boolean {
  if (e.$fault !== undefined) return false;
  if (status === undefined || status < 200 || status > 299) return false;
  return '$response' in e || (typeof e.message === 'string' && e.message.includes('Deserialization error'));
}

/** `... is not authorized to perform: iam:ListUsers on resource: ...` → `iam:ListUsers`. */
export function parseDeniedAction(message: string): string | undefined {
  const m = /not authorized to perform:?\s+([a-z0-9-]+:[A-Za-z0-9*]+)/.exec(message);
  return m?.[1];
}

/** The error's names, most specific first: SDK name, query-protocol `Code`, Node `code`, then its cause's. */
function errorNames(e: ErrorLike, depth = 0): string[] {
  const names: string[] = [];
  for (const v of [e.name, e.Code, e.code]) {
    if (typeof v === 'string' && v.length > 0 && v !== 'Error' && !names.includes(v)) names.push(v);
  }
  if (depth < 3 && typeof e.cause === 'object' && e.cause !== null) {
    for (const n of errorNames(e.cause as ErrorLike, depth + 1)) if (!names.includes(n)) names.push(n);
  }
  // AggregateError (happy-eyeballs connect failures) carries the socket errors in `errors`.
  const nested = (e as { errors?: unknown }).errors;
  if (depth < 3 && Array.isArray(nested)) {
    for (const n of nested) {
      if (typeof n === 'object' && n !== null)
        for (const x of errorNames(n as ErrorLike, depth + 1)) if (!names.includes(x)) names.push(x);
    }
  }
  return names;
}

/** An Error carrying its classification, for `throw` across layers (and BullMQ's failedReason). */
export class AwsError extends Error {
  override readonly name = 'AwsError';
  readonly classification: AwsErrorClassification;
  readonly operation: string | undefined;

  constructor(classification: AwsErrorClassification, options: { operation?: string; cause?: unknown } = {}) {
    const prefix = options.operation ? `${options.operation}: ` : '';
    super(
      `${prefix}${classification.message}`,
      options.cause !== undefined ? { cause: options.cause } : undefined,
    );
    this.classification = classification;
    this.operation = options.operation;
  }

  get code(): AwsErrorCode {
    return this.classification.code;
  }
  get retryable(): boolean {
    return this.classification.retryable;
  }
  get action(): string | undefined {
    return this.classification.action;
  }
  get awsCode(): string | undefined {
    return this.classification.awsCode;
  }
  /** For `aws_response_invalid`: the bad member's path. */
  get field(): string | undefined {
    return this.classification.field;
  }

  toJSON(): {
    code: AwsErrorCode;
    message: string;
    operation?: string;
    action?: string;
    awsCode?: string;
    field?: string;
    retryable: boolean;
  } {
    return {
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      ...(this.operation ? { operation: this.operation } : {}),
      ...(this.action ? { action: this.action } : {}),
      ...(this.awsCode ? { awsCode: this.awsCode } : {}),
      ...(this.field ? { field: this.field } : {}),
    };
  }
}

export function isAwsError(err: unknown): err is AwsError {
  return err instanceof AwsError;
}

/** Classifies `err` and wraps it (an `AwsError` passes through unchanged). */
export function toAwsError(err: unknown, context: ClassifyContext = {}): AwsError {
  if (err instanceof AwsError) return err;
  return new AwsError(classifyAwsError(err, context), {
    ...(context.operation ? { operation: context.operation } : {}),
    cause: err,
  });
}
