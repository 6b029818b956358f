// biome-ignore-all lint/suspicious/noTemplateCurlyInString: an IAM policy variable is literal policy text here.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contentHash } from './versioned.js';

/**
 * The canonical JSON `contentHash` used before safe-stable-stringify (kept here as the oracle): every
 * stored `content_hash` was computed with it, so the library must produce the same bytes, or a re-sync
 * would see every resource as changed and open a new version of all of them.
 */
function legacyStableStringify(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(legacyStableStringify).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${legacyStableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

describe('contentHash', () => {
  it('hashes known rows to the values the hand-written canonical JSON gave them', () => {
    // Hashes computed with the code before safe-stable-stringify, on these exact rows.
    const repository = {
      repository_id: 'a1b2c3d4-0000-4000-8000-000000000001',
      repository_name: 'payments-api',
      arn: 'arn:aws:codecommit:eu-west-1:111111111111:payments-api',
      account_id: '111111111111',
      description: null,
      default_branch: 'main',
      clone_url_http: 'https://git-codecommit.eu-west-1.amazonaws.com/v1/repos/payments-api',
      clone_url_ssh: undefined,
      creation_date: new Date('2026-01-02T03:04:05.678Z'),
      last_modified_date: '2026-02-03T04:05:06.789Z',
    };
    const iamUser = {
      arn: 'arn:aws:iam::111111111111:user/zoë',
      user_name: 'zoë',
      tags: [
        { Key: 'email', Value: 'Zoë@example.com' },
        { Value: 'x', Key: 'team' },
      ],
      group_names: ['devs', 'admins'],
      inline_policies: [
        {
          name: 'p',
          document: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Action: ['codecommit:*'],
                Resource: '*',
                Condition: { StringEquals: { 'aws:username': '${aws:username}' } },
              },
            ],
          },
        },
      ],
      attached_policy_arns: [],
      ssh_public_keys: null,
      service_specific_credentials: [{ id: 'c', status: 'Active', created: new Date(0) }],
      mfa: true,
      count: 3,
      ratio: 0.5,
      nested: { b: 1, a: [null, undefined, 'q"uote\\\n\u0001\u2028'] },
      'Key With Space': 'é',
      B: 1,
      a: 2,
    };
    expect(contentHash(repository)).toBe('7eb471daf822620667f97bf3eaabc067827dcec1bca414e0bcbe543cae3e3e02');
    expect(contentHash(iamUser)).toBe('883d2bb1ce56c773a6ba3c9076e94c0ca62ad0ac69d7bccf7312c5f5df3ab614');
  });

  it('gives the same hash as the hand-written canonical JSON on any row of JSON values and dates', () => {
    const leaf = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.double(),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.constant(undefined),
      fc.date({ noInvalidDate: true }),
    );
    const { value } = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        leaf,
        fc.array(tie('value'), { maxLength: 4 }),
        fc.dictionary(fc.string({ unit: 'binary', maxLength: 8 }), tie('value'), { maxKeys: 4 }),
      ),
    }));
    const row = fc.dictionary(fc.string({ unit: 'binary', maxLength: 12 }), value, { maxKeys: 12 });
    fc.assert(
      fc.property(row, (r) => {
        const legacy = createHash('sha256').update(legacyStableStringify(r)).digest('hex');
        expect(contentHash(r as Record<string, unknown>)).toBe(legacy);
      }),
      { seed: 20261202, numRuns: 200 },
    );
  });
});
