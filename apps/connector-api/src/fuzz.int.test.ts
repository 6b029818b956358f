/**
 * Hostile-input test: a few thousand seeded random requests (wrong types, huge and odd strings, SQL and
 * JSON tricks, malformed JSON, odd content types, other tenants' ids, hostile ids and paths) from
 * tenant B, with tenant A's objects in the same database. Every answer must be below 500, every error
 * must have the documented shape, and nothing of tenant A may show up in what B reads or change.
 */

import { beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_TOKEN,
  api,
  CUSTOMER_ACCOUNT_ID,
  newConnection,
  newTenant,
  useHarness,
} from './test-support/harness.js';

const h = useHarness();
const REQUESTS = 3000;

/** mulberry32: seeded, so a failure replays. */
function prng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  return { next, int, pick };
}

const HOSTILE_STRINGS = [
  '',
  ' ',
  "' OR '1'='1",
  "'; DROP TABLE connections; --",
  '" OR ""="',
  '1; SELECT pg_sleep(5)',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\u202e\u0000\uffff',
  '../../etc/passwd',
  '%2e%2e%2f',
  '<script>alert(1)</script>',
  `\${jndi:ldap://x}`,
  '{{7*7}}',
  '__proto__',
  'constructor',
  'null',
  'undefined',
  'NaN',
  '-1',
  '0',
  '1e309',
  '9999999999999999999999',
  'arn:aws:iam::111122223333:role/X',
  'arn:aws:iam::111122223333:role/ X',
  'arn:aws:s3:::bucket',
  'arn:aws:iam::111122223333:user/alice',
  'us-east-1',
  'us-east-7',
  'a@b.c',
  'x'.repeat(5000),
  '😀'.repeat(300),
  'A'.repeat(70_000),
];

/** Percent-encodes; a lone surrogate becomes its raw (invalid UTF-8) bytes, a hostile path in itself. */
function enc(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return '%ED%A0%80';
  }
}

describe('hostile input', () => {
  let a: { id: string; apiKey: string };
  let b: { id: string; apiKey: string };
  let aConnection: { id: string; externalId: string; name: string };
  let bConnection: string;

  beforeAll(async () => {
    a = await newTenant(h.current.app, 'Victim');
    b = await newTenant(h.current.app, 'Attacker');
    const created = await newConnection(h.current.app, a.apiKey, { name: 'victim-secret-name' });
    aConnection = {
      id: created.connection.id,
      externalId: created.connection.externalId,
      name: 'victim-secret-name',
    };
    bConnection = (await newConnection(h.current.app, b.apiKey, { name: 'attacker' })).connection.id;
    await api(h.current.app, 'PUT', '/v1/people', {
      token: a.apiKey,
      body: { people: [{ email: 'victim-person@example.com', status: 'active' }] },
    });
    await api(h.current.app, 'PUT', '/v1/identity-links', {
      token: a.apiKey,
      body: {
        links: [
          {
            iamUserArn: `arn:aws:iam::${CUSTOMER_ACCOUNT_ID}:user/victim-user`,
            personEmail: 'victim-person@example.com',
          },
        ],
      },
    });
  });

  it(`answers ${REQUESTS} random and hostile requests without a 5xx or a cross-tenant read`, async () => {
    const r = prng(20261126);
    const randomUuid = () =>
      'xxxxxxxx-xxxx-4xxx-8xxx-xxxxxxxxxxxx'.replace(/x/g, () => r.int(16).toString(16));
    const ids = () =>
      r.pick([
        aConnection.id,
        aConnection.id.toUpperCase(),
        bConnection,
        randomUuid(),
        enc(r.pick(HOSTILE_STRINGS).slice(0, 150)),
        '00000000-0000-0000-0000-000000000000',
        `${aConnection.id}%00`,
        `${aConnection.id}/../${bConnection}`,
      ]);
    const runIds = () =>
      r.pick(['1', '2', '0', '-1', '1e3', '999999999999999999999', 'abc', '%27', String(r.int(50))]);

    function value(depth: number): unknown {
      switch (r.int(depth > 3 ? 6 : 10)) {
        case 0:
          return r.pick(HOSTILE_STRINGS);
        case 1:
          return r.pick([0, -1, 1.5, 1e308, -0, 2 ** 53 + 1, 15, 360, 10_081]);
        case 2:
          return r.pick([true, false, null]);
        case 3:
          return r.pick(['active', 'offboarded', '2026-01-01', '2026-02-30', 'someone@example.com']);
        case 4:
          return `${r.pick(HOSTILE_STRINGS).slice(0, 20)}${r.int(1000)}`;
        case 5:
          return r.pick([[], {}, [null], { __proto__: { polluted: true } }]);
        case 6:
        case 7:
          return Array.from({ length: r.int(4) }, () => value(depth + 1));
        default: {
          const keys = [
            'name',
            'roleArn',
            'region',
            'people',
            'links',
            'email',
            'status',
            'offboardedAt',
            'iamUserArn',
            'personEmail',
            'syncIntervalMinutes',
            'auditWindowDays',
            'externalId',
            'tenantId',
            'id',
            '__proto__',
            'constructor',
          ];
          const o: Record<string, unknown> = {};
          for (let i = r.int(5); i > 0; i--) o[r.pick(keys)] = value(depth + 1);
          return o;
        }
      }
    }
    /** Mostly-valid bodies with one field broken: these reach deeper than pure noise. */
    function nearlyValid(): unknown {
      return r.pick([
        () => ({ name: value(2) }),
        () => ({ name: 'ok', syncIntervalMinutes: value(2), auditWindowDays: value(2) }),
        () => ({ roleArn: value(2), region: r.pick(['us-east-1', 'eu-west-1', value(2)]) }),
        () => ({
          roleArn: `arn:aws:iam::${CUSTOMER_ACCOUNT_ID}:role/${r.pick(['Nope', 'X', 'a'.repeat(64)])}`,
          region: 'us-east-1',
        }),
        () => ({
          people: [{ email: value(2), status: r.pick(['active', 'offboarded']), offboardedAt: value(2) }],
        }),
        () => ({
          people: Array.from({ length: r.int(5) }, () => ({
            email: `p${r.int(9)}@example.com`,
            status: 'active',
            name: value(3),
          })),
        }),
        () => ({ links: [{ iamUserArn: value(2), personEmail: 'victim-person@example.com' }] }),
        () => ({
          links: [
            { iamUserArn: `arn:aws:iam::${CUSTOMER_ACCOUNT_ID}:user/victim-user`, personEmail: value(2) },
          ],
        }),
      ])();
    }

    const routes: (() => [string, string])[] = [
      () => ['POST', '/v1/tenants'],
      () => [r.pick(['GET', 'POST']), '/v1/connections'],
      () => [r.pick(['GET', 'PATCH', 'DELETE', 'PUT']), `/v1/connections/${ids()}`],
      () => ['GET', `/v1/connections/${ids()}/setup-kit`],
      () => ['POST', `/v1/connections/${ids()}/connect`],
      () => [
        r.pick(['GET', 'POST']),
        `/v1/connections/${ids()}/syncs${r.pick(['', '?limit=5', '?limit=abc', '?limit=-1', '?limit=99999', '?x=1'])}`,
      ],
      () => ['GET', `/v1/connections/${ids()}/syncs/${runIds()}`],
      () => [r.pick(['GET', 'PUT']), '/v1/people'],
      () => [r.pick(['GET', 'PUT']), '/v1/identity-links'],
      () => [
        r.pick(['GET', 'POST', 'OPTIONS', 'HEAD']),
        r.pick([
          '/',
          '/v1',
          '/v1/',
          '/v2/connections',
          '/healthz',
          '/readyz',
          `/${enc(r.pick(HOSTILE_STRINGS).slice(0, 300))}`,
          '/v1/connections//syncs',
          '/docs/json',
        ]),
      ],
    ];

    const statuses: Record<number, number> = {};
    const secretsOfA = [
      aConnection.id,
      aConnection.externalId,
      aConnection.name,
      'victim-person@example.com',
      'victim-user',
    ];
    for (let i = 0; i < REQUESTS; i++) {
      const [method, url] = r.pick(routes)();
      const auth = r.next();
      const token =
        auth < 0.85
          ? b.apiKey
          : auth < 0.9
            ? ADMIN_TOKEN
            : auth < 0.95
              ? undefined
              : r.pick(HOSTILE_STRINGS).slice(0, 100);
      const kind = r.int(10);
      let payload: string | undefined;
      let contentType: string | undefined = 'application/json';
      if (method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS') {
        if (kind < 4) payload = JSON.stringify(nearlyValid());
        else if (kind < 7) payload = JSON.stringify(value(0));
        else if (kind === 7)
          payload = r.pick([
            '{',
            '{"name":}',
            '[1,2',
            'null',
            '"str"',
            '{"a":1}{',
            '\u0000',
            '{"__proto__":{"x":1}}',
            '{"constructor":{"prototype":{"x":1}}}',
            '1e309',
          ]);
        else if (kind === 8) {
          payload = r.pick(['name=x', '<xml/>', 'plain text']);
          contentType = r.pick([
            'text/plain',
            'application/x-www-form-urlencoded',
            'application/xml',
            'multipart/form-data; boundary=x',
            'application/json; charset=utf-16',
          ]);
        } else payload = JSON.stringify({ name: 'x'.repeat(r.pick([100, 300_000])), people: [] });
      }
      const headers: Record<string, string> = {};
      if (token !== undefined) headers.authorization = `Bearer ${token}`;
      if (payload !== undefined && contentType) headers['content-type'] = contentType;
      const res = await h.current.app.inject({
        method: method as 'GET',
        url,
        headers,
        ...(payload !== undefined ? { payload } : {}),
      });
      statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
      const context = `#${i} ${method} ${url.slice(0, 120)} -> ${res.statusCode} ${res.body.slice(0, 300)}`;
      expect(res.statusCode, context).toBeLessThan(500);
      if (res.statusCode >= 400 && method !== 'HEAD') {
        const body = res.json();
        expect(typeof body.error?.code, context).toBe('string');
        expect(typeof body.error?.message, context).toBe('string');
        expect(typeof body.error?.details, context).toBe('object');
      }
      if (token === b.apiKey || token === undefined) {
        for (const secret of secretsOfA) expect(res.body.includes(secret), context).toBe(false);
      }
    }

    // Tenant A is untouched.
    const mine = await api(h.current.app, 'GET', `/v1/connections/${aConnection.id}`, { token: a.apiKey });
    expect(mine.body.connection).toMatchObject({ name: aConnection.name, status: 'pending', roleArn: null });
    const people = await api(h.current.app, 'GET', '/v1/people', { token: a.apiKey });
    expect(people.body.people).toEqual([
      { email: 'victim-person@example.com', name: null, status: 'active', offboardedAt: null },
    ]);
    const links = await api(h.current.app, 'GET', '/v1/identity-links', { token: a.apiKey });
    expect(links.body.links).toHaveLength(1);
    // Enough of the requests got past authentication and validation to mean something.
    expect(
      (statuses[200] ?? 0) + (statuses[201] ?? 0) + (statuses[202] ?? 0) + (statuses[204] ?? 0),
    ).toBeGreaterThan(100);
    expect(statuses[404] ?? 0).toBeGreaterThan(300);
    console.info(`hostile input: ${REQUESTS} requests, statuses ${JSON.stringify(statuses)}`);
  }, 120_000);
});
