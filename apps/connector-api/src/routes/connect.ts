/** `POST /v1/connections/{id}/connect`: validate, assume, check the External ID, probe, activate. */

import { z } from 'zod';
import { tenantId } from '../auth.js';
import { connectConnection } from '../connect/connect-connection.js';
import type { RoutePlugin } from '../context.js';
import { connectionView } from '../presenters.js';
import { answers, Connected } from '../responses.js';
import { IdParams, parseUuidOr404 } from '../schemas.js';
import { loadLiveConnection } from './connections.js';

const ConnectBody = z.strictObject({
  roleArn: z
    .string()
    .max(2048)
    .describe("the role's ARN, e.g. arn:aws:iam::123456789012:role/CodeCommitEvidenceRole"),
  region: z.string().max(64).describe('the Region where the CodeCommit repositories are, e.g. us-east-1'),
});

export const connectRoutes: RoutePlugin = {
  name: 'connect',
  scope: 'tenant',
  register(app, ctx) {
    app.post(
      '/v1/connections/:id/connect',
      {
        schema: {
          response: answers(Connected),
          tags: ['connections'],
          summary:
            'Connect the role: validates the ARN and Region, assumes the role, probes permissions, starts syncing',
          params: IdParams,
          body: ConnectBody,
        },
      },
      async (req) => {
        const id = parseUuidOr404(req.params.id, 'connection');
        await loadLiveConnection(ctx, tenantId(req), id);
        const outcome = await connectConnection(ctx, tenantId(req), id, req.body);
        return {
          connection: connectionView(outcome.connection, outcome.syncRun),
          probe: outcome.probe,
          syncRunId: outcome.syncRun.id,
        };
      },
    );
  },
};
