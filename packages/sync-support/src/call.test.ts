import { describe, expect, it } from 'vitest';
import { assertCatalogued } from './call.js';

describe('ctx.call reads the permission catalog', () => {
  it('accepts a catalogued action for a scope it feeds, per-repository variants included', () => {
    expect(() =>
      assertCatalogued('codecommit:pull-requests:web-app', 'codecommit:GetPullRequest'),
    ).not.toThrow();
    expect(() => assertCatalogued('iam:authorization-details', 'iam:GetPolicy')).not.toThrow();
    expect(() => assertCatalogued('iam:users', 'iam:GetPolicy')).not.toThrow();
  });

  it('refuses an action the kit does not grant, and a scope the catalog does not name for it', () => {
    expect(() => assertCatalogued('iam:users', 'iam:ListAccessKeys')).toThrow(
      /not in the permission catalog/,
    );
    expect(() => assertCatalogued('codecommit:branches:web-app', 'codecommit:GetPullRequest')).toThrow(
      /feeds codecommit:pull-requests, not codecommit:branches:web-app/,
    );
    // A prefix of another scope's name is not that scope.
    expect(() =>
      assertCatalogued('codecommit:pull-request-history:web-app', 'codecommit:GetPullRequest'),
    ).toThrow(/not codecommit:pull-request-history/);
  });
});
