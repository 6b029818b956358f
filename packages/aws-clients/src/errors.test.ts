import { describe, expect, it } from 'vitest';
import { AwsError, classifyAwsError, parseDeniedAction, toAwsError } from './errors.js';

/** An error shaped like the SDK v3's ServiceException. */
function sdkError(name: string, message: string, status?: number, extra: Record<string, unknown> = {}) {
  return Object.assign(new Error(message), {
    name,
    $fault: status && status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status, requestId: 'req-1' },
    ...extra,
  });
}

function nodeError(code: string, message = code) {
  return Object.assign(new Error(message), { code });
}

describe('classifyAwsError', () => {
  it('maps access denied and names the action from the message', () => {
    const c = classifyAwsError(
      sdkError(
        'AccessDenied',
        'User: arn:aws:sts::123456789012:assumed-role/cce/cce-1 is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::123456789012:user/ because no identity-based policy allows the iam:ListUsers action',
        403,
      ),
    );
    expect(c).toMatchObject({
      code: 'access_denied',
      action: 'iam:ListUsers',
      awsCode: 'AccessDenied',
      retryable: false,
      httpStatus: 403,
      requestId: 'req-1',
    });
    expect(
      classifyAwsError(
        sdkError('AccessDeniedException', 'x is not authorized to perform: codecommit:GetBranch', 400),
      ).action,
    ).toBe('codecommit:GetBranch');
    expect(classifyAwsError(sdkError('UnauthorizedOperation', 'no', 403)).code).toBe('access_denied');
  });

  it("turns AssumeRole's AccessDenied into role_not_assumable", () => {
    const err = sdkError(
      'AccessDenied',
      'User: arn:aws:iam::111111111111:user/p is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/r',
      403,
    );
    expect(classifyAwsError(err, { operation: 'sts:AssumeRole' }).code).toBe('role_not_assumable');
    expect(classifyAwsError(err).code).toBe('access_denied');
  });

  it('maps throttling, by code and by HTTP 429', () => {
    for (const name of [
      'Throttling',
      'ThrottlingException',
      'TooManyRequestsException',
      'RequestLimitExceeded',
    ]) {
      expect(classifyAwsError(sdkError(name, 'slow down', 400))).toMatchObject({
        code: 'throttled',
        retryable: true,
      });
    }
    expect(classifyAwsError(sdkError('Whatever', 'x', 429)).code).toBe('throttled');
  });

  it('maps missing resources to not_found', () => {
    for (const name of [
      'NoSuchEntity',
      'NoSuchEntityException',
      'RepositoryDoesNotExistException',
      'PullRequestDoesNotExistException',
      'ApprovalRuleTemplateDoesNotExistException',
      'BranchDoesNotExistException',
    ]) {
      expect(classifyAwsError(sdkError(name, 'gone', 404)), name).toMatchObject({
        code: 'not_found',
        retryable: false,
      });
    }
  });

  it('uses the query-protocol Code when the name is generic', () => {
    const err = Object.assign(new Error('gone'), { Code: 'NoSuchEntity' });
    expect(classifyAwsError(err).code).toBe('not_found');
  });

  it('maps region problems to invalid_region', () => {
    expect(
      classifyAwsError(sdkError('RegionDisabledException', 'STS is not activated in this region', 403)).code,
    ).toBe('invalid_region');
    expect(
      classifyAwsError(nodeError('ENOTFOUND', 'getaddrinfo ENOTFOUND codecommit.xx-east-9.amazonaws.com'))
        .code,
    ).toBe('invalid_region');
    expect(classifyAwsError(new Error('Invalid region in client config')).code).toBe('invalid_region');
    // InvalidClientTokenId from an opt-in Region the account has not enabled.
    const token = sdkError(
      'InvalidClientTokenId',
      'The security token included in the request is invalid.',
      403,
    );
    expect(classifyAwsError(token, { region: 'af-south-1' })).toMatchObject({ code: 'invalid_region' });
    expect(classifyAwsError(token, { region: 'us-east-1' })).toMatchObject({
      code: 'invalid_credentials',
      retryable: false,
    });
  });

  it('maps credential problems to invalid_credentials, expired tokens retryable', () => {
    expect(classifyAwsError(sdkError('SignatureDoesNotMatch', 'bad sig', 403)).code).toBe(
      'invalid_credentials',
    );
    expect(classifyAwsError(sdkError('UnrecognizedClientException', 'bad', 400)).code).toBe(
      'invalid_credentials',
    );
    expect(
      classifyAwsError(sdkError('CredentialsProviderError', 'Could not load credentials from any providers')),
    ).toMatchObject({
      code: 'invalid_credentials',
    });
    expect(classifyAwsError(sdkError('ExpiredToken', 'expired', 403))).toMatchObject({
      code: 'invalid_credentials',
      retryable: true,
    });
  });

  it('maps 5xx, network errors and timeouts to aws_unavailable', () => {
    expect(classifyAwsError(sdkError('InternalFailure', 'oops', 500))).toMatchObject({
      code: 'aws_unavailable',
      retryable: true,
    });
    expect(classifyAwsError(sdkError('SomethingNew', 'oops', 503)).code).toBe('aws_unavailable');
    expect(classifyAwsError(sdkError('ServiceFailure', 'oops', 500)).code).toBe('aws_unavailable');
    expect(classifyAwsError(nodeError('ECONNREFUSED')).code).toBe('aws_unavailable');
    expect(classifyAwsError(nodeError('ECONNRESET')).code).toBe('aws_unavailable');
    expect(classifyAwsError(nodeError('EAI_AGAIN')).code).toBe('aws_unavailable');
    expect(
      classifyAwsError(Object.assign(new Error('Request timed out'), { name: 'TimeoutError' })).code,
    ).toBe('aws_unavailable');
    // Causes are followed: the SDK wraps socket errors.
    expect(classifyAwsError(new Error('wrapped', { cause: nodeError('ETIMEDOUT') })).code).toBe(
      'aws_unavailable',
    );
  });

  it('leaves the rest unknown and not retryable', () => {
    expect(classifyAwsError(sdkError('ValidationError', 'bad input', 400))).toMatchObject({
      code: 'unknown',
      retryable: false,
      awsCode: 'ValidationError',
    });
    expect(classifyAwsError('a string')).toMatchObject({ code: 'unknown', message: 'a string' });
    expect(classifyAwsError(null).code).toBe('unknown');
  });
});

describe('parseDeniedAction', () => {
  it('reads the action from the usual messages', () => {
    expect(
      parseDeniedAction('... is not authorized to perform: codecommit:ListRepositories because ...'),
    ).toBe('codecommit:ListRepositories');
    expect(
      parseDeniedAction(
        'User is not authorized to perform: iam:GetAccountAuthorizationDetails with an explicit deny',
      ),
    ).toBe('iam:GetAccountAuthorizationDetails');
    expect(parseDeniedAction('Access denied')).toBeUndefined();
  });
});

describe('AwsError', () => {
  it('carries the classification, the operation and the cause', () => {
    const cause = sdkError(
      'AccessDeniedException',
      'is not authorized to perform: codecommit:GetPullRequest',
      400,
    );
    const err = toAwsError(cause, { operation: 'codecommit:GetPullRequest' });
    expect(err).toBeInstanceOf(AwsError);
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('access_denied');
    expect(err.action).toBe('codecommit:GetPullRequest');
    expect(err.operation).toBe('codecommit:GetPullRequest');
    expect(err.message).toMatch(/^codecommit:GetPullRequest: /);
    expect(err.cause).toBe(cause);
    expect(toAwsError(err)).toBe(err);
    expect(classifyAwsError(new Error('wrapped', { cause: err })).code).toBe('access_denied');
    expect(classifyAwsError(err).code).toBe('access_denied');
    expect(JSON.parse(JSON.stringify(err))).toMatchObject({
      code: 'access_denied',
      retryable: false,
      awsCode: 'AccessDeniedException',
    });
  });
});
