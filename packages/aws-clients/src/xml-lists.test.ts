import { describe, expect, it } from 'vitest';
import { isAwsError } from './errors.js';
import { RESPONSE_SCHEMAS } from './responses/index.js';
import { checkXmlLists, listShapeOf } from './xml-lists.js';

const gaad = (result: string) =>
  `<GetAccountAuthorizationDetailsResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <GetAccountAuthorizationDetailsResult>${result}</GetAccountAuthorizationDetailsResult>
  <ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>
</GetAccountAuthorizationDetailsResponse>`;

function fieldOf(xml: string): string | undefined {
  try {
    checkXmlLists('iam:GetAccountAuthorizationDetails', xml);
    return undefined;
  } catch (err) {
    if (isAwsError(err) && err.code === 'aws_response_invalid') return err.classification.field;
    throw err;
  }
}

describe('XML list check', () => {
  it('derives the list paths from the zod schemas (and STS reads no list)', () => {
    const shape = listShapeOf(RESPONSE_SCHEMAS['iam:GetAccountAuthorizationDetails']!);
    expect(shape?.kind).toBe('object');
    expect(shape?.kind === 'object' && [...shape.members.keys()]).toEqual([
      'UserDetailList',
      'GroupDetailList',
      'RoleDetailList',
      'Policies',
    ]);
    expect(listShapeOf(RESPONSE_SCHEMAS['sts:AssumeRole']!)).toBeUndefined();
    expect(listShapeOf(RESPONSE_SCHEMAS['sts:GetCallerIdentity']!)).toBeUndefined();
  });

  it('accepts empty and <member> lists, at any depth', () => {
    expect(fieldOf(gaad('<UserDetailList/><RoleDetailList></RoleDetailList>'))).toBeUndefined();
    expect(
      fieldOf(
        gaad(`<UserDetailList>
          <member><UserName>a</UserName><GroupList><member>g</member> <member>h</member></GroupList></member>
          <member><UserName>b</UserName><GroupList/></member>
        </UserDetailList><IsTruncated>false</IsTruncated>`),
      ),
    ).toBeUndefined();
  });

  it('refuses text, or other elements, where a list is, naming the field path', () => {
    expect(fieldOf(gaad('<UserDetailList>none</UserDetailList>'))).toBe('UserDetailList');
    expect(fieldOf(gaad('<UserDetailList><member>x</member>oops</UserDetailList>'))).toBe('UserDetailList');
    expect(fieldOf(gaad('<Policies><item><Arn>a</Arn></item></Policies>'))).toBe('Policies');
    expect(
      fieldOf(
        gaad(
          '<UserDetailList><member><GroupList/></member><member><GroupList>admins</GroupList></member></UserDetailList>',
        ),
      ),
    ).toBe('UserDetailList[1].GroupList');
  });

  it('never quotes the value', () => {
    try {
      checkXmlLists(
        'iam:GetAccountAuthorizationDetails',
        gaad('<UserDetailList>secret-ish</UserDetailList>'),
      );
    } catch (err) {
      expect(String(err)).not.toContain('secret-ish');
      return;
    }
    throw new Error('expected a failure');
  });
});
