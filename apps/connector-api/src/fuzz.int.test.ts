/**
 * Hostile-input test, generated from the server's own OpenAPI document (`/docs/json`): every operation
 * the document lists gets requests, so a new route is covered without touching this file. Parameters
 * and bodies are built from each operation's JSON Schema, then broken the ways that reached Postgres
 * before (issue 11): NUL bytes in cursors, path segments and fields; impossible calendar dates
 * (`2026-11-31`), dates outside what Postgres stores (`0000-01-01`), oversized strings, wrong types,
 * unknown fields, malformed JSON, odd content types, other tenants' ids. Requests come mostly from
 * tenant B, which holds a finished, evaluated sync run (so reads get past "nothing synced yet" to the
 * queries), with tenant A's objects in the same database.
 *
 * Every answer must be below 500 with the documented error shape, nothing of tenant A may show up in
 * what B reads, and A is unchanged at the end. Failures are collected and reported together, grouped
 * by operation and status, so one run shows every class that fails.
 */

import { createHash } from 'node:crypto';
import { createActiveConnection } from '@codecommit-evidence/evidence-views/test-support';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { DATE_EDGES, IMPOSSIBLE_DATES } from '../test-support/date-cases.js';
import { writeEvaluatedRun } from '../test-support/evaluated-run.js';
import { ADMIN_TOKEN, api, CUSTOMER_ACCOUNT_ID, newConnection, useHarness } from '../test-support/harness.js';
import { encodeCursor } from './http/pagination.js';

const h = useHarness();
const REQUESTS = 10_000;
const IN_FLIGHT = 4;

/**
 * fast-check's seeded source, so a failure replays. One stream for the whole run rather than a property
 * per request: requests go IN_FLIGHT at a time against one server and the failures are reported
 * together, so there is no single case to shrink. Unbiased draws (fc.noBias) keep the weights below.
 */
function seededRandom(seed: number) {
  const [g] = fc.sample(fc.gen(), { seed, numRuns: 1 }) as [fc.GeneratorValue];
  const uniform = (min: number, max: number) => fc.noBias(fc.integer({ min, max }));
  const next = () => g(uniform, 0, 0x7fff_ffff) / 0x8000_0000;
  const int = (n: number) => g(uniform, 0, n - 1);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  const chance = (p: number) => next() < p;
  return { next, int, pick, chance };
}
type Rng = ReturnType<typeof seededRandom>;

const HOSTILE_STRINGS = [
  '',
  ' ',
  "' OR '1'='1",
  "'; DROP TABLE connections; --",
  '1; SELECT pg_sleep(5)',
  '\u0000',
  'a\u0000b',
  'app\u0000',
  '\ud800',
  '\u202e\u0000\uffff',
  '\u0001\u001f\u007f',
  '../../etc/passwd',
  '%2e%2e%2f',
  '<script>alert(1)</script>',
  `\${jndi:ldap://x}`,
  '__proto__',
  'constructor',
  'null',
  'NaN',
  '-1',
  '0',
  '1e309',
  '9999999999999999999999',
  'arn:aws:iam::111122223333:role/X',
  'arn:aws:iam::111122223333:user/alice\u0000',
  'arn:aws:s3:::bucket',
  'a@b.c',
  'x'.repeat(5000),
  '😀'.repeat(300),
  'A'.repeat(70_000),
];

/** Cursors as the API encodes them (base64url JSON), holding what the keyset queries must never see. */
const HOSTILE_CURSORS = [
  encodeCursor(['\u0000', 1]),
  encodeCursor(['\u0000']),
  encodeCursor(['a\u0000b', 2]),
  encodeCursor(['\ud800', 1]),
  encodeCursor(['x'.repeat(700), 1]),
  encodeCursor([1]),
  encodeCursor([-1]),
  encodeCursor([0, 'x']),
  encodeCursor(['app', -5]),
  encodeCursor([Number.MAX_SAFE_INTEGER]),
  encodeCursor(['0000-01-01T00:00:00Z', 'x']),
  encodeCursor([8.64e15, '00000000-0000-0000-0000-000000000000']),
  encodeCursor([-62198755200000, '00000000-0000-0000-0000-000000000000']),
  encodeCursor([Date.UTC(2026, 0, 1), 'not-a-uuid']),
  encodeCursor([Date.UTC(2026, 0, 1), '00000000-0000-0000-0000-00000000000\u0000']),
  Buffer.from('[1e308]').toString('base64url'),
  Buffer.from('[null]').toString('base64url'),
  Buffer.from('{"a":1}').toString('base64url'),
  Buffer.from('["a",1,2]').toString('base64url'),
  Buffer.from('"\\u0000"').toString('base64url'),
  'garbage',
  '%00',
  '',
];

/** Percent-encodes; a lone surrogate becomes its raw (invalid UTF-8) bytes, a hostile path in itself. */
function enc(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return '%ED%A0%80';
  }
}

type Schema = any;

interface Operation {
  method: string;
  path: string;
  pathParams: string[];
  query: { name: string; schema: Schema }[];
  body: Schema | undefined;
  admin: boolean;
}

/** Every operation of the OpenAPI document, with its parameters and JSON body schema. */
function operationsOf(doc: Schema): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries<Schema>(doc.paths)) {
    for (const [method, op] of Object.entries<Schema>(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const params: Schema[] = op.parameters ?? [];
      ops.push({
        method: method.toUpperCase(),
        path,
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        query: params.filter((p) => p.in === 'query').map((p) => ({ name: p.name, schema: p.schema ?? {} })),
        body: op.requestBody?.content?.['application/json']?.schema,
        admin: JSON.stringify(op.security ?? []).includes('adminToken'),
      });
    }
  }
  return ops;
}

/** A plausible value for a string field, by its name (these reach past the first check). */
function goodString(r: Rng, name: string, schema: Schema): string {
  if (schema.format === 'email' || /email/i.test(name)) return `p${r.int(5)}@example.com`;
  if (schema.format === 'date-time' || /asOf|At$/.test(name))
    return r.pick(['2026-01-15T10:00:00Z', new Date().toISOString(), '2026-03-31']);
  if (schema.format === 'date' || name === 'offboardedAt') return r.pick(['2026-01-15', '2025-12-31']);
  if (name === 'iamUserArn') return `arn:aws:iam::${CUSTOMER_ACCOUNT_ID}:user/u${r.int(5)}`;
  if (name === 'roleArn') return `arn:aws:iam::${CUSTOMER_ACCOUNT_ID}:role/${r.pick(['Nope', 'X'])}`;
  if (name === 'region') return r.pick(['us-east-1', 'eu-west-1']);
  if (name === 'repository') return r.pick(['app', 'infra', 'nope']);
  return r.pick(['ok', 'prod', `name-${r.int(100)}`]);
}

const isDateField = (name: string, schema: Schema = {}) =>
  /^(at|rosterAsOf|offboardedAt)$/.test(name) || schema.format === 'date' || schema.format === 'date-time';

/**
 * A hostile value for a field: an impossible date where a date goes, the field's plausible value with
 * a NUL in it, or anything of any type, biased to the classes that reached Postgres.
 */
function hostileFor(r: Rng, name: string, schema: Schema, sent: Sent): unknown {
  if (isDateField(name, schema) && r.chance(0.7)) {
    if (r.chance(0.2)) return r.pick(DATE_EDGES);
    sent.badDate = true;
    return r.pick(IMPOSSIBLE_DATES);
  }
  if (r.chance(0.3)) return `${goodString(r, name, schema)}\u0000`;
  return hostile(r);
}

/** What a request carried that must be refused. */
interface Sent {
  badDate: boolean;
}

/** A hostile value of any type. */
function hostile(r: Rng): unknown {
  switch (r.int(8)) {
    case 0:
    case 1:
      return r.pick(HOSTILE_STRINGS);
    case 2:
    case 3:
      return r.pick(IMPOSSIBLE_DATES);
    case 4:
      return r.pick([0, -1, 1.5, 1e308, -0, 2 ** 53 + 1, 15, 360, 10_081, 2 ** 31]);
    case 5:
      return r.pick([true, false, null]);
    case 6:
      return r.pick([[], {}, [null], { __proto__: { polluted: true } }]);
    default:
      return `${r.pick(HOSTILE_STRINGS).slice(0, 20)}\u0000${r.int(1000)}`;
  }
}

/** A value for `schema`, each level broken with probability `breakP`. */
function fromSchema(r: Rng, schema: Schema, name: string, breakP: number, sent: Sent, depth = 0): unknown {
  if (r.chance(breakP) || depth > 5) return hostileFor(r, name, schema, sent);
  const variants: Schema[] | undefined = schema.anyOf ?? schema.oneOf;
  if (variants) return fromSchema(r, r.pick(variants), name, breakP, sent, depth + 1);
  if (schema.enum) return r.pick(schema.enum);
  if (schema.const !== undefined) return schema.const;
  const type = Array.isArray(schema.type) ? r.pick(schema.type) : schema.type;
  switch (type) {
    case 'string':
      return goodString(r, name, schema);
    case 'integer':
    case 'number': {
      const min = schema.minimum ?? 0;
      const max = Math.min(schema.maximum ?? 1000, min + 1000);
      return min + r.int(max - min + 1);
    }
    case 'boolean':
      return r.chance(0.5);
    case 'null':
      return null;
    case 'array':
      return Array.from({ length: r.int(4) }, () =>
        fromSchema(r, schema.items ?? {}, name, breakP, sent, depth + 1),
      );
    case 'object': {
      const o: Record<string, unknown> = {};
      const required = new Set<string>(schema.required ?? []);
      for (const [key, sub] of Object.entries<Schema>(schema.properties ?? {})) {
        if (required.has(key) || r.chance(0.5)) o[key] = fromSchema(r, sub, key, breakP, sent, depth + 1);
      }
      if (r.chance(breakP)) o[r.pick(['externalId', 'tenantId', 'id', 'bogus', '__proto__'])] = hostile(r);
      return o;
    }
    default:
      return r.chance(0.5) ? goodString(r, name, schema) : hostile(r);
  }
}

function queryValue(r: Rng, name: string, schema: Schema, cursors: string[], sent: Sent): string {
  if (name === 'cursor') return r.chance(0.3) && cursors.length ? r.pick(cursors) : r.pick(HOSTILE_CURSORS);
  const v = fromSchema(r, schema, name, isDateField(name, schema) ? 0.7 : 0.35, sent);
  return typeof v === 'string' ? v : JSON.stringify(v);
}

interface World {
  /** tenant B's ids by path parameter name: real ones first, then ones that must answer 404. */
  ids: Record<string, string[]>;
  /** Ids that no request may delete or revoke (the fuzz run needs them alive). */
  keep: Set<string>;
  cursors: string[];
}

function pathValue(r: Rng, world: World, name: string, method: string): string {
  const real = (world.ids[name] ?? []).filter((v) => method !== 'DELETE' || !world.keep.has(v));
  const roll = r.next();
  if (real.length && roll < 0.5) return enc(r.pick(real));
  if (real.length && roll < 0.6)
    return enc(`${r.pick(real)}${r.pick(['\u0000', '\u0001', '%00', '\ud800'])}`);
  if (roll < 0.7) return enc(r.pick(world.ids.foreign ?? ['x']));
  if (roll < 0.8) return 'xxxxxxxx-xxxx-4xxx-8xxx-xxxxxxxxxxxx'.replace(/x/g, () => r.int(16).toString(16));
  const v = hostile(r);
  return enc(typeof v === 'string' ? v.slice(0, 150) : JSON.stringify(v));
}

describe('hostile input from the OpenAPI document', () => {
  let a: { tenantId: string; apiKey: string; connectionId: string; pending: string; externalId: string };
  let b: { tenantId: string; apiKey: string; connectionId: string };
  let world: World;
  let operations: Operation[];

  beforeAll(async () => {
    const db = h.current.db;
    const victim = await createActiveConnection(db, 'victim-tenant');
    await writeEvaluatedRun(db, victim.connectionId);
    const pending = await newConnection(h.current.app, victim.apiKey, { name: 'victim-secret-name' });
    a = { ...victim, pending: pending.connection.id, externalId: pending.connection.externalId };
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

    b = await createActiveConnection(db, 'attacker');
    const { runId, checkRunId } = await writeEvaluatedRun(db, b.connectionId);
    const spare = (await newConnection(h.current.app, b.apiKey, { name: 'attacker-spare' })).connection.id;
    const digests = await db
      .selectFrom('check_evidence_blobs')
      .select('digest')
      .where('connection_id', '=', b.connectionId)
      .limit(3)
      .execute();
    const keyIds = await db.selectFrom('api_keys').select('id').where('tenant_id', '=', b.tenantId).execute();
    const tenants = await db.selectFrom('tenants').select('id').execute();
    world = {
      ids: {
        id: [b.connectionId, b.connectionId.toUpperCase(), spare],
        runId: [String(runId), String(runId + 1000)],
        checkRunId: [String(checkRunId)],
        checkId: ['codecommit-offboarded-user-access', 'codecommit-peer-review', 'no-such-check'],
        name: ['app', 'infra', 'nope'],
        digest: [...digests.map((d) => d.digest), `sha256:${createHash('sha256').update('x').digest('hex')}`],
        keyId: keyIds.map((k) => k.id),
        tenantId: tenants.map((t) => t.id),
        foreign: [
          a.connectionId,
          a.pending,
          `${a.connectionId}%00`,
          `${a.connectionId}/../${b.connectionId}`,
        ],
      },
      keep: new Set([b.connectionId, b.connectionId.toUpperCase(), ...keyIds.map((k) => k.id)]),
      cursors: [],
    };
    for (const path of ['repositories', 'pull-requests', 'check-runs', 'checks/codecommit-peer-review']) {
      const res = await api(h.current.app, 'GET', `/v1/connections/${b.connectionId}/${path}?limit=1`, {
        token: b.apiKey,
      });
      if (res.body?.nextCursor) world.cursors.push(res.body.nextCursor);
    }
    const doc = await h.current.app.inject({ method: 'GET', url: '/docs/json' });
    operations = operationsOf(doc.json());
  });

  it(`answers ${REQUESTS} requests over every documented operation without a 5xx or a cross-tenant read`, async () => {
    // The document is the route list: make sure it is the whole of it.
    expect(operations.length).toBeGreaterThan(20);
    const r = seededRandom(20261202);
    const statuses: Record<number, number> = {};
    const perOperation = new Map<string, number>();
    const timeByOperation = new Map<string, number>();
    const failures = new Map<string, { count: number; example: string }>();
    const fail = (key: string, example: string) => {
      const f = failures.get(key) ?? { count: 0, example };
      f.count++;
      failures.set(key, f);
    };
    const secretsOfA = [
      a.connectionId,
      a.pending,
      a.externalId,
      'victim-secret-name',
      'victim-person@example.com',
      'victim-user',
    ];

    // First the requests issue 11 found answering 500 or reading another day: each must be a 400.
    const c = `/v1/connections/${b.connectionId}`;
    const nulCursor = encodeCursor(['\u0000', 1]);
    const regressions: [string, string, unknown?][] = [
      ['GET', `${c}/repositories?cursor=${nulCursor}`],
      ['GET', `${c}/pull-requests?cursor=${nulCursor}`],
      ['GET', `${c}/repositories/app/branches?cursor=${nulCursor}`],
      ['GET', `/v1/people?cursor=${encodeCursor(['\u0000'])}`],
      ['GET', `${c}/repositories/%00/branches`],
      [
        'PUT',
        '/v1/people',
        { people: [{ email: 'x@example.com', status: 'offboarded', offboardedAt: '0000-01-01' }] },
      ],
      [
        'PUT',
        '/v1/people',
        { people: [{ email: 'x@example.com', status: 'offboarded', offboardedAt: '2026-11-31' }] },
      ],
      ['GET', `${c}/checks?at=2026-11-31`],
      ['GET', `${c}/checks?at=2026-02-30`],
      ['GET', `${c}/exports/access-review.json?rosterAsOf=0000-01-01T00:00:00Z`],
    ];
    for (const [method, url, body] of regressions) {
      const res = await api(h.current.app, method as 'GET', url, {
        token: b.apiKey,
        ...(body ? { body } : {}),
      });
      if (res.status !== 400)
        fail(
          `issue 11 regression ${method} ${url.slice(0, 120)}`,
          `-> ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`,
        );
    }

    // Operations without input (health, metrics, docs) have nothing to fuzz: fewer requests each.
    const weighted = operations.flatMap((op) =>
      op.pathParams.length || op.query.length || op.body || op.method !== 'GET' ? [op, op, op, op, op] : [op],
    );
    let nextIndex = 0;
    // A few requests in flight, as clients send them. Each request is generated synchronously when a
    // worker takes its index, so the sequence of requests is the seed's whatever the timing.
    const worker = async () => {
      while (nextIndex < REQUESTS) {
        const i = nextIndex++;
        // Every operation three times first, then at random.
        const op =
          i < operations.length * 3 ? (operations[i % operations.length] as Operation) : r.pick(weighted);
        const opKey = `${op.method} ${op.path}`;
        perOperation.set(opKey, (perOperation.get(opKey) ?? 0) + 1);
        const sent: Sent = { badDate: false };
        let url = op.path;
        for (const p of op.pathParams) url = url.replace(`{${p}}`, pathValue(r, world, p, op.method));
        const query: string[] = [];
        for (const q of op.query) {
          if (r.chance(0.45))
            query.push(`${q.name}=${enc(queryValue(r, q.name, q.schema, world.cursors, sent))}`);
        }
        if (r.chance(0.03)) query.push(`bogus=${enc(String(hostile(r)).slice(0, 50))}`);
        if (query.length) url += `?${query.join('&')}`;

        const auth = r.next();
        const token = op.admin
          ? auth < 0.8
            ? ADMIN_TOKEN
            : auth < 0.9
              ? b.apiKey
              : undefined
          : auth < 0.88
            ? b.apiKey
            : auth < 0.92
              ? ADMIN_TOKEN
              : auth < 0.96
                ? undefined
                : String(r.pick(HOSTILE_STRINGS)).slice(0, 100);

        let payload: string | undefined;
        let contentType = 'application/json';
        if (op.method !== 'GET') {
          const kind = r.int(20);
          if (op.body && kind < 15)
            payload = JSON.stringify(fromSchema(r, op.body, 'body', kind < 5 ? 0.05 : 0.2, sent));
          else if (kind < 17) payload = JSON.stringify(hostile(r));
          else if (kind === 17)
            payload = r.pick([
              '{',
              '{"name":}',
              '[1,2',
              'null',
              '"str"',
              '\u0000',
              '{"__proto__":{"x":1}}',
              '1e309',
            ]);
          else if (kind === 18) {
            payload = r.pick(['name=x', '<xml/>', 'plain text']);
            contentType = r.pick([
              'text/plain',
              'application/x-www-form-urlencoded',
              'application/json; charset=utf-16',
            ]);
          } else if (!op.body) payload = undefined;
          else payload = JSON.stringify({ name: 'x'.repeat(r.pick([100, 300_000])), people: [] });
        }
        const headers: Record<string, string> = {};
        if (token !== undefined) headers.authorization = `Bearer ${token}`;
        if (payload !== undefined) headers['content-type'] = contentType;
        const started = performance.now();
        const res = await h.current.app.inject({
          method: op.method as 'GET',
          url,
          headers,
          ...(payload !== undefined ? { payload } : {}),
        });
        timeByOperation.set(opKey, (timeByOperation.get(opKey) ?? 0) + performance.now() - started);
        statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
        const example = `#${i} ${op.method} ${url.slice(0, 200)} ${payload?.slice(0, 200) ?? ''} -> ${res.statusCode} ${res.body.slice(0, 300)}`;
        if (res.statusCode >= 500) {
          fail(`${opKey} -> ${res.statusCode}`, example);
          continue;
        }
        // A date that is not one (2026-11-31) or that Postgres cannot store (0000-01-01) is a 400, never
        // silently rolled over into another day.
        if (sent.badDate && res.statusCode < 300) fail(`${opKey} accepted an impossible date`, example);
        if (res.statusCode >= 400) {
          const body = safeJson(res.body);
          if (
            typeof body?.error?.code !== 'string' ||
            typeof body.error.message !== 'string' ||
            typeof body.error.details !== 'object'
          )
            fail(`${opKey} -> ${res.statusCode} without the error shape`, example);
        }
        if (token === b.apiKey || token === undefined) {
          for (const secret of secretsOfA)
            if (res.body.includes(secret)) fail(`${opKey} leaks tenant A`, example);
        }
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));

    console.info(
      `hostile input: ${REQUESTS} requests over ${operations.length} operations, statuses ${JSON.stringify(statuses)}`,
    );
    const slowest = [...timeByOperation]
      .sort((x, y) => y[1] - x[1])
      .slice(0, 5)
      .map(([k, ms]) => `${k} ${Math.round(ms)} ms`);
    console.info(`hostile input: slowest operations (total time): ${slowest.join(', ')}`);
    const report = [...failures].map(([key, f]) => `${f.count} × ${key}\n    e.g. ${f.example}`);
    expect(report, report.join('\n')).toEqual([]);

    // Every documented operation was exercised, and enough requests got past validation to mean something.
    for (const op of operations)
      expect(perOperation.get(`${op.method} ${op.path}`) ?? 0).toBeGreaterThanOrEqual(3);
    expect(
      (statuses[200] ?? 0) + (statuses[201] ?? 0) + (statuses[202] ?? 0) + (statuses[204] ?? 0),
    ).toBeGreaterThan(1000);
    expect(statuses[400] ?? 0).toBeGreaterThan(1000);

    // Tenant A is untouched.
    const mine = await api(h.current.app, 'GET', `/v1/connections/${a.pending}`, { token: a.apiKey });
    expect(mine.body.connection).toMatchObject({
      name: 'victim-secret-name',
      status: 'pending',
      roleArn: null,
    });
    const active = await api(h.current.app, 'GET', `/v1/connections/${a.connectionId}/repositories`, {
      token: a.apiKey,
    });
    expect(active.status).toBe(200);
    const people = await api(h.current.app, 'GET', '/v1/people', { token: a.apiKey });
    expect(people.body.people).toEqual([
      { email: 'victim-person@example.com', name: null, status: 'active', offboardedAt: null },
    ]);
    const links = await api(h.current.app, 'GET', '/v1/identity-links', { token: a.apiKey });
    expect(links.body.links).toHaveLength(1);
  }, 600_000);
});

function safeJson(s: string): any {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}
