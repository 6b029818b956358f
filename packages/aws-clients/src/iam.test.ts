import { describe, expect, it } from 'vitest';
import { decodeAuthorizationDetails, decodePolicyDocument } from './iam.js';

const DOC = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: 'codecommit:GitPush',
      Resource: '*',
      Condition: { StringEquals: { 'aws:PrincipalTag/team': 'a b+c%' } },
    },
  ],
};

describe('decodePolicyDocument', () => {
  it('URL-decodes and parses what IAM returns', () => {
    expect(decodePolicyDocument(encodeURIComponent(JSON.stringify(DOC)))).toEqual(DOC);
  });

  it('keeps "+" literal (RFC 3986, not form encoding)', () => {
    const encoded = encodeURIComponent(JSON.stringify(DOC));
    expect(encoded).toContain('%2B');
    expect(decodePolicyDocument(encoded.replace('%20', ' '))).toEqual(DOC);
  });

  it('parses an already-decoded document as is (a % inside stays)', () => {
    expect(decodePolicyDocument(`  ${JSON.stringify(DOC)}\n`)).toEqual(DOC);
  });

  it('rejects broken documents with a clear message', () => {
    expect(() => decodePolicyDocument('%7B%ZZ')).toThrow(/bad % escape/);
    expect(() => decodePolicyDocument(encodeURIComponent('{"Statement": ['))).toThrow(/not valid JSON/);
    expect(() => decodePolicyDocument(encodeURIComponent('[1]'))).toThrow(/Statement/);
  });
});

describe('decodeAuthorizationDetails', () => {
  it('decodes inline, trust and managed policy documents', () => {
    const enc = encodeURIComponent(JSON.stringify(DOC));
    const out = decodeAuthorizationDetails({
      users: [{ UserName: 'alice', UserPolicyList: [{ PolicyName: 'p', PolicyDocument: enc }] }],
      groups: [{ GroupName: 'g', GroupPolicyList: [{ PolicyName: 'gp', PolicyDocument: enc }] }],
      roles: [{ RoleName: 'r', AssumeRolePolicyDocument: enc, RolePolicyList: [] }],
      policies: [
        { PolicyName: 'm', PolicyVersionList: [{ VersionId: 'v1', Document: enc, IsDefaultVersion: true }] },
      ],
    });
    expect(out.users[0]?.UserPolicyList[0]?.PolicyDocument).toEqual(DOC);
    expect(out.groups[0]?.GroupPolicyList[0]?.PolicyDocument).toEqual(DOC);
    expect(out.roles[0]?.AssumeRolePolicyDocument).toEqual(DOC);
    expect(out.policies[0]?.PolicyVersionList[0]).toMatchObject({ VersionId: 'v1', Document: DOC });
  });
});
