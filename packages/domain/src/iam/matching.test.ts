// biome-ignore-all lint/suspicious/noTemplateCurlyInString: IAM policy variables such as ${aws:username} are literal policy text here.
import { describe, expect, it } from 'vitest';
import {
  actionElementMatches,
  actionMatchesPattern,
  resourceElementMatches,
  resourceMatchesPattern,
} from './matching.js';
import { buildRequestValues } from './request-context.js';
import type { ContextValue } from './types.js';

const REPO = 'arn:aws:codecommit:us-east-1:111111111111:MyRepo';

function values(context: Record<string, ContextValue> = {}) {
  return buildRequestValues({ action: 'codecommit:GitPush', resource: REPO, context });
}

describe('actions', () => {
  it('match case-insensitively, service prefix included', () => {
    expect(actionMatchesPattern('codecommit:gitpush', 'codecommit:GitPush')).toBe(true);
    expect(actionMatchesPattern('CodeCommit:GitPush', 'codecommit:GitPush')).toBe(true);
    expect(actionMatchesPattern('codecommit:GitPull', 'codecommit:GitPush')).toBe(false);
  });

  it('take * and ? as wildcards in the action name', () => {
    expect(actionMatchesPattern('codecommit:*', 'codecommit:GitPush')).toBe(true);
    expect(actionMatchesPattern('codecommit:Get*', 'codecommit:GetRepository')).toBe(true);
    expect(actionMatchesPattern('codecommit:Get*', 'codecommit:GitPush')).toBe(false);
    expect(actionMatchesPattern('codecommit:Git??sh', 'codecommit:GitPush')).toBe(true);
    expect(actionMatchesPattern('codecommit:Git?sh', 'codecommit:GitPush')).toBe(false);
    expect(actionMatchesPattern('codecommit:*Branch*', 'codecommit:MergeBranchesBySquash')).toBe(true);
    expect(actionMatchesPattern('*', 'sqs:SendMessage')).toBe(true);
  });

  it('never match across services', () => {
    expect(actionMatchesPattern('codecommit:*', 'sqs:SendMessage')).toBe(false);
    expect(actionMatchesPattern('code*:GitPush', 'codecommit:GitPush')).toBe(false);
  });

  it('NotAction matches every action none of its patterns match', () => {
    expect(actionElementMatches(['codecommit:Delete*', 'iam:*'], true, 'codecommit:GitPush')).toBe(true);
    expect(actionElementMatches(['codecommit:Delete*', 'iam:*'], true, 'codecommit:DeleteRepository')).toBe(
      false,
    );
    expect(actionElementMatches(['codecommit:Delete*'], false, 'codecommit:DeleteBranch')).toBe(true);
  });
});

describe('resources', () => {
  it('* matches everything', () => {
    expect(resourceMatchesPattern('*', REPO, values())).toBe(true);
  });

  it('the resource segment is case-sensitive', () => {
    expect(resourceMatchesPattern('arn:aws:codecommit:us-east-1:111111111111:MyRepo', REPO, values())).toBe(
      true,
    );
    expect(resourceMatchesPattern('arn:aws:codecommit:us-east-1:111111111111:myrepo', REPO, values())).toBe(
      false,
    );
    expect(resourceMatchesPattern('arn:aws:codecommit:us-east-1:111111111111:My*', REPO, values())).toBe(
      true,
    );
    expect(resourceMatchesPattern('arn:aws:codecommit:us-east-1:111111111111:my*', REPO, values())).toBe(
      false,
    );
  });

  it('partition, service, region and account compare case-insensitively (AWS-defined identifiers)', () => {
    expect(resourceMatchesPattern('arn:aws:CodeCommit:US-EAST-1:111111111111:MyRepo', REPO, values())).toBe(
      true,
    );
  });

  it('? matches exactly one character', () => {
    expect(resourceMatchesPattern('arn:aws:codecommit:us-east-?:111111111111:MyRep?', REPO, values())).toBe(
      true,
    );
    expect(resourceMatchesPattern('arn:aws:codecommit:us-east-1:111111111111:MyRepo?', REPO, values())).toBe(
      false,
    );
  });

  it('wildcards stay within their ARN segment', () => {
    // A plain glob would let `*` run over "us-east-1:111111111111"; per segment the account is "MyRepo".
    expect(resourceMatchesPattern('arn:aws:codecommit:*:MyRepo:*', REPO, values())).toBe(false);
    expect(resourceMatchesPattern('arn:aws:codecommit:*:*:MyRepo', REPO, values())).toBe(true);
    expect(resourceMatchesPattern('arn:aws:codecommit:us-*:111111111111:*', REPO, values())).toBe(true);
    expect(resourceMatchesPattern('arn:aws:codecommit:eu-*:111111111111:*', REPO, values())).toBe(false);
  });

  it('the resource segment may hold colons, and a wildcard there crosses them', () => {
    const alias = 'arn:aws:lambda:us-east-1:111111111111:function:deploy:prod';
    expect(resourceMatchesPattern('arn:aws:lambda:us-east-1:111111111111:function:*', alias, values())).toBe(
      true,
    );
    expect(
      resourceMatchesPattern('arn:aws:lambda:us-east-1:111111111111:function:deploy', alias, values()),
    ).toBe(false);
  });

  it('pads an ARN with fewer than six segments with *', () => {
    expect(resourceMatchesPattern('arn:aws:codecommit:*', REPO, values())).toBe(true);
    expect(resourceMatchesPattern('arn:aws:codecommit:us-east-1', REPO, values())).toBe(true);
    expect(resourceMatchesPattern('arn:aws:sqs', REPO, values())).toBe(false);
  });

  it('takes a wildcard in the resource type (before the first /) literally, as iam-simulate does', () => {
    const user = 'arn:aws:iam::111111111111:user/alice';
    expect(resourceMatchesPattern('arn:aws:iam::111111111111:user/*', user, values())).toBe(true);
    expect(resourceMatchesPattern('arn:aws:iam::111111111111:u*/alice', user, values())).toBe(false);
    expect(resourceMatchesPattern('arn:aws:iam::111111111111:*', user, values())).toBe(true);
  });

  it('does not match a request resource that is not an ARN', () => {
    expect(resourceMatchesPattern('arn:aws:codecommit:*:*:*', 'MyRepo', values())).toBe(false);
  });
});

describe('policy variables in resources', () => {
  const alice = { 'aws:username': 'alice', 'aws:PrincipalTag/team': 'alpha' };

  it('are replaced by the request value, also as a whole segment (`${aws:username}` holds a colon)', () => {
    const repo = 'arn:aws:codecommit:us-east-1:111111111111:alice';
    expect(
      resourceMatchesPattern(
        'arn:aws:codecommit:us-east-1:111111111111:${aws:username}',
        repo,
        values(alice),
      ),
    ).toBe(true);
    expect(
      resourceMatchesPattern(
        'arn:aws:codecommit:us-east-1:111111111111:${aws:username}',
        REPO,
        values(alice),
      ),
    ).toBe(false);
    expect(
      resourceMatchesPattern(
        'arn:aws:codecommit:us-east-1:111111111111:${aws:PrincipalTag/team}-*',
        `${REPO}`,
        values(alice),
      ),
    ).toBe(false);
    expect(
      resourceMatchesPattern(
        'arn:aws:codecommit:us-east-1:111111111111:${aws:PrincipalTag/team}-*',
        'arn:aws:codecommit:us-east-1:111111111111:alpha-tools',
        values(alice),
      ),
    ).toBe(true);
  });

  it('resolve in the account segment', () => {
    const context = { 'aws:PrincipalAccount': '111111111111' };
    expect(
      resourceMatchesPattern('arn:aws:codecommit:us-east-1:${aws:PrincipalAccount}:*', REPO, values(context)),
    ).toBe(true);
  });

  it('a missing variable never matches', () => {
    expect(
      resourceMatchesPattern('arn:aws:codecommit:us-east-1:111111111111:${aws:username}', REPO, values()),
    ).toBe('missing_variable');
    expect(
      resourceElementMatches(
        ['arn:aws:codecommit:us-east-1:111111111111:${aws:username}'],
        false,
        REPO,
        values(),
      ),
    ).toBe(false);
  });

  it('NotResource with a missing variable does not apply, unless the pattern cannot name the resource anyway', () => {
    const withVariable = 'arn:aws:codecommit:us-east-1:111111111111:${aws:username}';
    expect(resourceElementMatches([withVariable], true, REPO, values())).toBe(false);
    // The region already rules the pattern out: the resource is outside NotResource's list.
    const otherRegion = 'arn:aws:codecommit:eu-west-1:111111111111:${aws:username}';
    expect(resourceElementMatches([otherRegion], true, REPO, values())).toBe(true);
  });

  it('a substituted value is literal text', () => {
    const pattern = 'arn:aws:codecommit:us-east-1:111111111111:${aws:username}';
    expect(resourceMatchesPattern(pattern, REPO, values({ 'aws:username': '*' }))).toBe(false);
    expect(
      resourceMatchesPattern(
        pattern,
        'arn:aws:codecommit:us-east-1:111111111111:*',
        values({ 'aws:username': '*' }),
      ),
    ).toBe(true);
  });

  it('${*} in a resource is a literal asterisk', () => {
    const pattern = 'arn:aws:codecommit:us-east-1:111111111111:a${*}';
    expect(resourceMatchesPattern(pattern, 'arn:aws:codecommit:us-east-1:111111111111:a*', values())).toBe(
      true,
    );
    expect(resourceMatchesPattern(pattern, 'arn:aws:codecommit:us-east-1:111111111111:ab', values())).toBe(
      false,
    );
  });
});

describe('NotResource', () => {
  it('matches every resource none of its patterns match', () => {
    expect(resourceElementMatches(['arn:aws:codecommit:*:*:Secret*'], true, REPO, values())).toBe(true);
    expect(resourceElementMatches(['arn:aws:codecommit:*:*:My*'], true, REPO, values())).toBe(false);
    expect(resourceElementMatches(['*'], true, REPO, values())).toBe(false);
  });
});
