/**
 * The console's whole journey in real Chromium (Debian's `chromium`, driven by playwright-core) against
 * the real stack as processes: fake-aws serving the demo scenario, the API serving the console, and
 * the three workers. Empty tenant → sign in → create a connection → the role from the kit (as the demo
 * does) → a wrong ARN and its error beside the field → the right ARN → progress → the four checks → a
 * failing finding with its evidence and fix → a roster upload that changes a verdict → exports
 * downloaded and parsed; every page is checked with axe (no serious or critical violation) and
 * screenshotted into apps/console/test-artifacts/ (git-ignored).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { apiClient, createRoleFromSetupKit, waitForCheckRun } from '@codecommit-evidence/demo/journey';
import { readStoryRoster, type Stack, startStack } from '@codecommit-evidence/demo/stack';
import { useTestDatabase } from '@codecommit-evidence/testing';
import type { Browser, Page } from 'playwright-core';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { launchChromium, seriousViolations } from '../test-support/browser';

const here = path.dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = path.resolve(here, '../test-artifacts');
/** Waits on conditions, never fixed sleeps: generous, for a loaded 2-core machine. */
const WAIT = 60_000;
const SYNC_WAIT = 240_000;

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Checks and screenshots the page once `ready` is visible. */
async function visit(page: Page, name: string, ready: string): Promise<void> {
  await page.locator(ready).first().waitFor({ timeout: WAIT });
  expect(await seriousViolations(page), `axe on ${name}`).toEqual([]);
  await shot(page, name);
}

function rosterCsv(
  people: { email: string; name?: string | null; status: string; offboardedAt?: string | null }[],
): string {
  return [
    'email,name,status,offboardedAt',
    ...people.map((p) => [p.email, p.name ?? '', p.status, p.offboardedAt ?? ''].join(',')),
  ].join('\n');
}

describe('the web console, in Chromium, over the real stack', () => {
  const t = useTestDatabase();
  let stack: Stack | undefined;
  let browser: Browser | undefined;
  afterAll(async () => {
    await browser?.close();
    await stack?.stopAll();
  });

  it('walks the whole journey: sign in, connect, checks, findings, roster, exports, every page accessible', async () => {
    if (!existsSync(path.resolve(here, '../dist/index.html')))
      throw new Error('apps/console/dist is missing: run `pnpm build` before the browser test.');
    browser = await launchChromium();
    stack = await startStack({
      databaseUrl: t.current.url,
      redisUrl: inject('redisUrl'),
      logDir: mkdtempSync(path.join(tmpdir(), 'cce-console-')),
    });
    const base = stack.apiUrl;
    const created = await apiClient(base, stack.adminToken)('POST', '/v1/tenants', { name: 'Acme' });
    const bearer = apiClient(base, created.apiKey);

    const context = await browser.newContext({
      acceptDownloads: true,
      viewport: { width: 1280, height: 900 },
    });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    try {
      await journey(page);
    } catch (err) {
      // What the person saw when it failed, beside the other screenshots.
      await shot(page, 'failure').catch(() => undefined);
      const alerts = await page
        .locator('[role=alert]')
        .allTextContents()
        .catch(() => []);
      throw new Error(
        `${(err as Error).message}\nat ${page.url()}; alerts on the page: ${JSON.stringify(alerts)}; page errors: ${JSON.stringify(pageErrors)}`,
        { cause: err },
      );
    }
    expect(pageErrors).toEqual([]);

    async function journey(page: Page): Promise<void> {
      if (!stack) throw new Error('no stack');

      // Signed out: any page sends the person to sign-in.
      await page.goto(`${base}/console/`);
      await page.waitForURL(/\/console\/sign-in/, { timeout: WAIT });
      await visit(page, '01-sign-in', '#api-key');
      await page.fill('#api-key', 'cce_wrong-key');
      await page.click('button[type=submit]');
      await expect
        .poll(() => page.locator('#sign-in-error').textContent(), { timeout: WAIT })
        .toContain('unauthorized');
      await page.fill('#api-key', created.apiKey);
      await page.click('button[type=submit]');
      await page.getByRole('heading', { name: 'Connections' }).waitFor({ timeout: WAIT });
      // The key is not kept by the page.
      const stored = await page.evaluate(
        () => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie,
      );
      expect(stored).not.toContain(created.apiKey);
      await visit(page, '02-connections-empty', 'text=No AWS account is connected yet');

      // Connect: name, kit, the role created from the kit in the fake account.
      await page.getByRole('link', { name: 'Connect an AWS account' }).click();
      await page.fill('#connection-name', 'production');
      await page.getByRole('button', { name: 'Create connection' }).click();
      await page.locator('[data-testid=external-id]').waitFor({ timeout: WAIT });
      const externalId = (await page.locator('[data-testid=external-id]').textContent())?.trim() ?? '';
      expect(externalId).toMatch(/^cce-/);
      const connectionId = new URL(page.url()).searchParams.get('id')!;
      await page.locator('summary', { hasText: 'Trust policy' }).click();
      await expect
        .poll(() => page.locator('section[aria-label="Trust policy"] pre').textContent())
        .toContain(externalId);
      await visit(page, '03-connect-kit', '#role-arn');
      const kit = (await bearer('GET', `/v1/connections/${connectionId}/setup-kit`)).setupKit;
      const roleArn = await createRoleFromSetupKit(
        stack.fakeUrl,
        stack.scenario.admin,
        stack.scenario.region,
        kit,
      );

      // A wrong ARN first: the exact error, beside the field.
      await page.fill('#role-arn', `${roleArn} `.replace(':role/', ':role/ '));
      await page.selectOption('#region', stack.scenario.region);
      await page.getByRole('button', { name: 'Connect', exact: true }).click();
      const fieldError = page.locator('#role-arn-error');
      await fieldError.waitFor({ timeout: WAIT });
      await expect.poll(() => fieldError.textContent()).toContain('invalid_role_arn');
      expect(await page.getAttribute('#role-arn', 'aria-invalid')).toBe('true');
      await visit(page, '04-connect-wrong-arn', '#role-arn-error');

      // The right ARN: the first sync's progress, until it finishes.
      await page.fill('#role-arn', roleArn);
      await page.getByRole('button', { name: 'Connect', exact: true }).click();
      await page.locator('[data-testid=sync-progress]').waitFor({ timeout: WAIT });
      await shot(page, '05-connect-progress');
      await page.getByRole('link', { name: 'See the checks' }).waitFor({ timeout: SYNC_WAIT });
      expect(await page.locator('[data-testid=sync-progress]').getAttribute('data-status')).toMatch(
        /succeeded|partial/,
      );
      const connection = (await bearer('GET', `/v1/connections/${connectionId}`)).connection;
      const runId = Number(connection.lastSyncRun.id);
      await waitForCheckRun(bearer, connectionId, runId, new Date(0), SYNC_WAIT);

      // The four checks.
      await page.getByRole('link', { name: 'See the checks' }).click();
      await page.locator('article.check').nth(3).waitFor({ timeout: WAIT });
      expect(await page.locator('article.check').count()).toBe(4);
      await visit(page, '06-checks', 'article.check');

      // A failing finding, its evidence and its fix.
      await page.locator('article.check', { hasText: 'MFA' }).getByRole('link').click();
      await page.selectOption('#status-filter', 'fail');
      const bob = page.locator('li.finding', { hasText: 'bob' });
      await bob.waitFor({ timeout: WAIT });
      const refRequests: string[] = [];
      page.on('request', (r) => {
        if (r.url().includes('/evidence-references/')) refRequests.push(r.url());
      });
      await bob.locator('summary').click();
      await expect.poll(() => bob.textContent()).toContain('Evidence that decided it');
      expect(await bob.textContent()).toContain('How to fix');
      // bob's credential-report row is stored once for the check run (both user checks hold it): the
      // finding holds a reference, and the console shows the row itself in its place, marked shared.
      const bobFinding = (
        await bearer(
          'GET',
          `/v1/connections/${connectionId}/checks/codecommit-user-mfa?status=fail&limit=500`,
        )
      ).findings.find((f: { resourceName: string }) => f.resourceName === 'bob');
      expect(Object.keys(bobFinding.evidence.credentialReportRow)).toEqual(['$ref']);
      const bobEvidence = bob.getByRole('region', { name: 'Evidence for bob' });
      await expect
        .poll(() => bobEvidence.textContent(), { timeout: WAIT })
        .toMatch(
          /"mfa_active": "false"[\s\S]*"password_enabled": "true"|"password_enabled": "true"[\s\S]*"mfa_active": "false"/,
        );
      expect(await bobEvidence.textContent()).not.toContain('$ref');
      expect(await bobEvidence.locator('.shared-label').count()).toBeGreaterThan(0);
      // Closed and opened again, nothing is fetched twice: each digest once per page view.
      await bob.locator('summary').click();
      await bob.locator('summary').click();
      await expect.poll(() => bobEvidence.textContent(), { timeout: WAIT }).toContain('"mfa_active"');
      expect(refRequests.length).toBeGreaterThan(0);
      expect(new Set(refRequests).size).toBe(refRequests.length);
      // The search is the API's (?search=), debounced, and the URL keeps it across a reload.
      await page.fill('#finding-search', 'BO');
      await page.waitForURL(/[?&]q=BO(&|$)/, { timeout: WAIT });
      await expect.poll(() => page.locator('li.finding').count(), { timeout: WAIT }).toBe(1);
      expect(await page.locator('li.finding').first().textContent()).toContain('bob');
      await page.reload();
      await page.locator('li.finding', { hasText: 'bob' }).waitFor({ timeout: WAIT });
      expect(await page.inputValue('#finding-search')).toBe('BO');
      expect(await page.locator('li.finding').count()).toBe(1);
      await page.locator('li.finding summary').click();
      await visit(page, '07-finding', 'li.finding .shared-label');
      // A shared part that cannot be read (the API's answer for an unknown digest) shows the API's code
      // and message in its place, and the rest of the evidence still shows.
      await page.route('**/evidence-references/**', (route) =>
        route.fulfill({
          status: 404,
          contentType: 'application/json',
          body: JSON.stringify({
            error: { code: 'not_found', message: 'No such evidence reference.', details: {} },
          }),
        }),
      );
      await page.reload();
      await page.locator('li.finding summary').click();
      const failedPart = page.locator('li.finding .ref-error').first();
      await failedPart.waitFor({ timeout: WAIT });
      expect(await failedPart.textContent()).toMatch(/not_found.*No such evidence reference\./);
      expect(await page.locator('li.finding').textContent()).toContain('"mfaActive"');
      await page.unroute('**/evidence-references/**');

      // Before the roster, carol's offboarding cannot be judged as a failure.
      const offboarded = 'codecommit-offboarded-user-access';
      const carolBefore = (
        await bearer('GET', `/v1/connections/${connectionId}/checks/${offboarded}?limit=500`)
      ).findings.find((f: { resourceName: string }) => f.resourceName === 'carol');
      expect(carolBefore?.status).not.toBe('fail');

      // Roster: a bad row is refused with its row named, then the story's roster changes the verdict.
      await page.getByRole('link', { name: 'Roster', exact: true }).click();
      await page.locator('#roster-paste').waitFor({ timeout: WAIT });
      await page.fill(
        '#roster-paste',
        'email,name,status,offboardedAt\nnot-an-email,X,active,\nzed@acme.example,Zed,offboarded,',
      );
      await page.getByRole('button', { name: 'Upload pasted CSV' }).click();
      const rowsTable = page.getByRole('table', { name: 'Rows with errors' });
      await rowsTable.waitFor({ timeout: WAIT });
      expect(await rowsTable.textContent()).toMatch(/2.*email/);
      expect(await rowsTable.textContent()).toMatch(/3.*offboardedAt/);
      await visit(page, '08-roster-errors', 'table[aria-label="Rows with errors"]');
      const roster = (await readStoryRoster(stack)) as { people: Parameters<typeof rosterCsv>[0] };
      const uploadedAt = new Date();
      await page.fill('#roster-paste', rosterCsv(roster.people));
      await page.getByRole('button', { name: 'Upload pasted CSV' }).click();
      await page.locator('[data-testid=roster-result]').waitFor({ timeout: WAIT });
      await visit(page, '09-roster', '[data-testid=roster-result]');
      await waitForCheckRun(bearer, connectionId, runId, uploadedAt, SYNC_WAIT);
      await page.goto(`${base}/console/connections/${connectionId}/checks/${offboarded}?status=fail`);
      await page.locator('li.finding', { hasText: 'carol' }).waitFor({ timeout: WAIT });
      await shot(page, '10-offboarded-after-roster');

      // History, evidence, operate: each page renders and is accessible.
      // Comparing reads the API's difference of the two runs (…/changes), never the runs' failing lists.
      const failingReads: string[] = [];
      const noteFailingReads = (r: { url(): string }) => {
        if (r.url().includes('status=fail') || r.url().includes('/changes')) failingReads.push(r.url());
      };
      page.on('request', noteFailingReads);
      await page.getByRole('link', { name: 'History', exact: true }).click();
      await visit(page, '11-history', '#chart-title');
      // What changed is read when asked for, one check at a time: the roster made carol a new failure.
      await page.locator('#check-runs-title ~ table tbody tr').first().waitFor({ timeout: WAIT });
      expect(failingReads).toEqual([]);
      await page.selectOption('#compare-check', 'codecommit-offboarded-user-access');
      await page.getByRole('button', { name: 'Compare', exact: true }).click();
      await expect
        .poll(() => page.getByTestId('comparison').textContent(), { timeout: WAIT })
        .toMatch(/New failures of offboarded-user-access \(\d+\).*carol/);
      expect(failingReads.length).toBeGreaterThan(0);
      expect(
        failingReads.every(
          (u) =>
            u.includes('/checks/codecommit-offboarded-user-access/changes?') && !u.includes('status=fail'),
        ),
      ).toBe(true);
      page.off('request', noteFailingReads);
      await visit(page, '11b-history-compare', '[data-testid=comparison]');
      await page.getByRole('link', { name: 'Evidence', exact: true }).click();
      await page.locator('#repos-title ~ table tbody tr').first().waitFor({ timeout: WAIT });
      await visit(page, '12-evidence', '#users-title ~ table tbody tr');
      // The evidence is paged by the API's cursors: two rows a page here, so the demo's four
      // repositories (by name) take two pages, and web-app's four branches two more.
      await page.goto(`${base}/console/connections/${connectionId}/evidence?pageSize=2`);
      const repoRows = page.locator('#repos-title ~ table > tbody > tr');
      await expect
        .poll(() => repoRows.allTextContents(), { timeout: WAIT })
        .toEqual([expect.stringContaining('infra-tools'), expect.stringContaining('legacy-scripts')]);
      await page.getByRole('button', { name: 'Next repositories' }).click();
      await expect
        .poll(() => repoRows.allTextContents(), { timeout: WAIT })
        .toEqual([expect.stringContaining('payments-service'), expect.stringContaining('web-app')]);
      expect(await page.getByTestId('page-of-repositories').textContent()).toBe('page 2');
      await page.getByRole('button', { name: 'Show branches of web-app' }).click();
      const branches = page.getByRole('table', { name: 'Branches of web-app' });
      await expect
        .poll(() => branches.locator('tbody tr').allTextContents(), { timeout: WAIT })
        .toEqual([expect.stringContaining('feature/dark-mode'), expect.stringContaining('feature/login-v2')]);
      await page.getByRole('button', { name: 'Next branches of web-app' }).click();
      await expect
        .poll(() => branches.locator('tbody tr').allTextContents(), { timeout: WAIT })
        .toEqual([
          expect.stringContaining('hotfix/cve-2026-1234'),
          expect.stringMatching(/^main \(default\)/),
        ]);
      // Pull requests show each approval's revision; IAM users page on as well.
      await page.getByRole('button', { name: 'Next IAM users' }).click();
      await expect.poll(() => page.getByTestId('page-of-IAM-users').textContent()).toBe('page 2');
      await visit(page, '12b-evidence-paged-branches', 'table[aria-label="Branches of web-app"]');
      // Operate: while the last sync run is read, the page says so rather than "None".
      let release: () => void = () => {};
      const held = new Promise<void>((r) => {
        release = r;
      });
      await page.route(/\/v1\/connections\/[^/]+\/syncs\/\d+$/, async (route) => {
        await held;
        await route.continue();
      });
      await page.goto(`${base}/console/connections/${connectionId}/operate`);
      await page.getByText("Loading the last sync run's problems").waitFor({ timeout: WAIT });
      expect(await page.locator('#problems-title ~ [data-loaded]').count()).toBe(0);
      release();
      await page.locator('#problems-title ~ [data-loaded]').waitFor({ timeout: WAIT });
      await page.unrouteAll();
      await visit(page, '13-operate', '#problems-title ~ [data-loaded]');
      // The roster pages too: four people a page of the story's nine.
      await page.goto(`${base}/console/roster?pageSize=4`);
      const peopleRows = page.locator('#people-title ~ table tbody tr');
      await expect.poll(() => peopleRows.count(), { timeout: WAIT }).toBe(4);
      const firstPage = await peopleRows.allTextContents();
      await page.getByRole('button', { name: 'Next people' }).click();
      await expect.poll(() => page.getByTestId('page-of-people').textContent()).toBe('page 2');
      await expect.poll(() => peopleRows.allTextContents()).not.toEqual(firstPage);
      expect(await peopleRows.count()).toBe(4);
      // Identity links page the same way, and adding one sends only that link (an upsert by ARN).
      await page.goto(`${base}/console/roster`);
      const linkItems = page.locator('#links-title ~ ul li');
      const email = roster.people[0]!.email;
      for (const name of ['journey-link-a', 'journey-link-b']) {
        await page.fill('#link-arn', `arn:aws:iam::111111111111:user/${name}`);
        await page.fill('#link-email', email);
        await page.getByRole('button', { name: 'Add link' }).click();
        await expect.poll(() => linkItems.filter({ hasText: name }).count(), { timeout: WAIT }).toBe(1);
      }
      // Both kept: the second PUT did not replace the first.
      expect(await linkItems.filter({ hasText: 'journey-link-a' }).count()).toBe(1);
      await page.goto(`${base}/console/roster?pageSize=1`);
      await expect.poll(() => linkItems.count(), { timeout: WAIT }).toBe(1);
      const firstLinks = await linkItems.allTextContents();
      await page.getByRole('button', { name: 'Next identity links' }).click();
      await expect.poll(() => page.getByTestId('page-of-identity-links').textContent()).toBe('page 2');
      await expect.poll(() => linkItems.allTextContents()).not.toEqual(firstLinks);
      expect(await linkItems.count()).toBe(1);
      await page.goto(`${base}/console/connections/${connectionId}/operate`);
      await page.locator('#problems-title ~ [data-loaded]').waitFor({ timeout: WAIT });

      // Exports: one click, downloaded and parsed.
      await page.getByRole('link', { name: 'Exports', exact: true }).click();
      await page.getByRole('link', { name: 'Check results (CSV)' }).waitFor({ timeout: WAIT });
      await visit(page, '14-exports', '#exports-title');
      const [csvDownload] = await Promise.all([
        page.waitForEvent('download', { timeout: WAIT }),
        page.getByRole('link', { name: 'Check results (CSV)' }).click(),
      ]);
      const csv = readFileSync((await csvDownload.path())!, 'utf8');
      const header = csv.split('\n')[0]!.split(',');
      expect(header).toContain('check_id');
      expect(csv).toContain('carol');
      const [jsonDownload] = await Promise.all([
        page.waitForEvent('download', { timeout: WAIT }),
        page.getByRole('link', { name: 'Access review (JSON)' }).click(),
      ]);
      const review = JSON.parse(readFileSync((await jsonDownload.path())!, 'utf8'));
      expect(JSON.stringify(review)).toContain('carol');

      // An unknown page is a real 404 with a page.
      const missing = await page.goto(`${base}/console/no/such/page`);
      expect(missing?.status()).toBe(404);
      await visit(page, '15-not-found', 'text=No such page');

      // Sign out ends the session; a deep link then signs in and comes back to where it was.
      await page.goto(`${base}/console/connections/${connectionId}/history`);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(/sign-in/, { timeout: WAIT });
      const afterSignOut = await page.request.get(`${base}/v1/connections`);
      expect(afterSignOut.status()).toBe(401);
      await page.goto(`${base}/console/connections/${connectionId}/history`);
      await page.waitForURL(/sign-in\?next=/, { timeout: WAIT });
      await page.fill('#api-key', created.apiKey);
      await page.click('button[type=submit]');
      await page.waitForURL(new RegExp(`/console/connections/${connectionId}/history$`), { timeout: WAIT });
      await page.locator('#chart-title').waitFor({ timeout: WAIT });
    }
  });
});
