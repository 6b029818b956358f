/**
 * The roster and identity links. Both PUTs are idempotent bulk upserts (the same body twice changes
 * nothing the second time); a PUT that changed something queues an on-demand evaluation.
 *
 * Decisions: `offboardedAt` is required when status is `offboarded` and refused when `active` (an
 * active person with a leaving date is ambiguous; a rehired person is sent as active without it).
 * Emails are compared case-insensitively and stored lowercase; the same email (or IAM user ARN) twice
 * in one body is refused rather than silently resolved by order.
 */

import {
  listIdentityLinks,
  listPeople,
  rosterEmailsAmong,
  upsertIdentityLinks,
  upsertPeople,
} from '@codecommit-evidence/evidence-store';
import { z } from 'zod';
import { tenantId } from '../auth.js';
import type { RoutePlugin } from '../context.js';
import { decodeCursor, PageQuery, page } from '../http/pagination.js';
import { enqueueOnDemandEvaluations } from '../on-demand-evaluation.js';
import { answers, LinkList, LinksUpserted, PeopleList, PeopleUpserted } from '../responses.js';
import { CalendarDate, text } from '../schemas.js';

export const MAX_BULK_ITEMS = 10_000;
/** 10,000 people of maximal size fit; the global limit stays small for every other route. */
const BULK_BODY_LIMIT = 8 * 1024 * 1024;

const email = z.email().max(320);

const Person = z
  .strictObject({
    email,
    name: text(200).nullable().optional(),
    status: z.enum(['active', 'offboarded']),
    offboardedAt: CalendarDate.nullable()
      .optional()
      .describe('YYYY-MM-DD; required iff status is offboarded'),
  })
  .superRefine((p, issue) => {
    if (p.status === 'offboarded' && !p.offboardedAt) {
      issue.addIssue({
        code: 'custom',
        path: ['offboardedAt'],
        message: 'required when status is offboarded',
      });
    }
    if (p.status === 'active' && p.offboardedAt) {
      issue.addIssue({
        code: 'custom',
        path: ['offboardedAt'],
        message: 'must be absent when status is active',
      });
    }
  });

const PeopleBody = z.strictObject({ people: z.array(Person).max(MAX_BULK_ITEMS) }).superRefine((b, issue) =>
  duplicates(
    b.people.map((p) => p.email.toLowerCase()),
    ['people'],
    'email',
    issue,
  ),
);

const IAM_USER_ARN = /^arn:aws(-cn|-us-gov)?:iam::\d{12}:user\/([\x21-\x7e]*\/)?[\w+=,.@-]{1,64}$/;

const Link = z.strictObject({
  iamUserArn: z
    .string()
    .max(2048)
    .regex(IAM_USER_ARN, 'must be an IAM user ARN: arn:aws:iam::123456789012:user/NAME'),
  personEmail: email,
});

const LinksBody = z.strictObject({ links: z.array(Link).max(MAX_BULK_ITEMS) }).superRefine((b, issue) =>
  duplicates(
    b.links.map((l) => l.iamUserArn),
    ['links'],
    'iamUserArn',
    issue,
  ),
);

function duplicates(values: string[], path: string[], field: string, issue: z.RefinementCtx): void {
  const seen = new Set<string>();
  values.forEach((v, i) => {
    if (seen.has(v))
      issue.addIssue({
        code: 'custom',
        path: [...path, i, field],
        message: `duplicate ${field} in this request`,
      });
    seen.add(v);
  });
}

export const peopleRoutes: RoutePlugin = {
  name: 'people',
  scope: 'tenant',
  register(app, ctx) {
    app.put(
      '/v1/people',
      {
        bodyLimit: BULK_BODY_LIMIT,
        schema: {
          response: answers(PeopleUpserted),
          tags: ['people'],
          summary: `Bulk upsert of the roster (at most ${MAX_BULK_ITEMS} people per call; idempotent)`,
          body: PeopleBody,
        },
      },
      async (req) => {
        const tenant = tenantId(req);
        const counts = await upsertPeople(
          ctx.db,
          tenant,
          req.body.people.map((p) => ({
            email: p.email,
            name: p.name ?? null,
            status: p.status,
            offboardedAt: p.offboardedAt ?? null,
          })),
          ctx.now(),
        );
        const changed = counts.created + counts.updated > 0;
        const evaluations = changed ? await enqueueOnDemandEvaluations(ctx, tenant) : [];
        return { ...counts, evaluationsQueued: evaluations };
      },
    );

    app.get(
      '/v1/people',
      {
        schema: {
          response: answers(PeopleList),
          tags: ['people'],
          summary: 'The current roster, by email (paginated: ?limit=, ?cursor=)',
          querystring: z.strictObject(PageQuery),
        },
      },
      async (req) => {
        const after = decodeCursor(req.query.cursor, ['string'] as const);
        const rows = await listPeople(ctx.db, tenantId(req), ctx.now(), {
          ...(after ? { afterEmail: after[0] } : {}),
          limit: req.query.limit + 1,
        });
        const { items, nextCursor } = page(rows, req.query.limit, (p) => [p.email]);
        return {
          people: items.map((p) => ({
            email: p.email,
            name: p.name,
            status: p.status,
            offboardedAt: p.offboarded_at,
          })),
          nextCursor,
        };
      },
    );

    app.put(
      '/v1/identity-links',
      {
        bodyLimit: BULK_BODY_LIMIT,
        schema: {
          response: answers(LinksUpserted),
          tags: ['people'],
          summary: `Bulk upsert of IAM user -> person links (at most ${MAX_BULK_ITEMS} per call; idempotent)`,
          body: LinksBody,
        },
      },
      async (req) => {
        const tenant = tenantId(req);
        const counts = await upsertIdentityLinks(ctx.db, tenant, req.body.links, ctx.now());
        const changed = counts.created + counts.updated > 0;
        const evaluations = changed ? await enqueueOnDemandEvaluations(ctx, tenant) : [];
        // A link to an address the roster does not have is kept (the roster may come later), but it
        // links to no one until then: the checks treat that user as not linked. Say so now.
        const named = [...new Set(req.body.links.map((l) => l.personEmail.toLowerCase()))];
        const roster = await rosterEmailsAmong(ctx.db, tenant, named, ctx.now());
        const unknown = named.filter((e) => !roster.has(e));
        const warnings = unknown.length
          ? [
              {
                code: 'person_not_in_roster',
                message: `${unknown.length} link(s) name an email the roster does not have; those IAM users count as not linked until PUT /v1/people adds them.`,
                details: { emails: unknown.slice(0, 100) },
              },
            ]
          : [];
        return { ...counts, evaluationsQueued: evaluations, warnings };
      },
    );

    app.get(
      '/v1/identity-links',
      {
        schema: {
          response: answers(LinkList),
          tags: ['people'],
          summary: 'The current identity links, by IAM user ARN (paginated: ?limit=, ?cursor=)',
          querystring: z.strictObject(PageQuery),
        },
      },
      async (req) => {
        const after = decodeCursor(req.query.cursor, ['string'] as const);
        const rows = await listIdentityLinks(ctx.db, tenantId(req), ctx.now(), {
          ...(after ? { afterArn: after[0] } : {}),
          limit: req.query.limit + 1,
        });
        const { items, nextCursor } = page(rows, req.query.limit, (l) => [l.iam_user_arn]);
        return {
          links: items.map((l) => ({ iamUserArn: l.iam_user_arn, personEmail: l.person_email })),
          nextCursor,
        };
      },
    );
  },
};
