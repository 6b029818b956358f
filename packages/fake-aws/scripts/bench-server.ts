/**
 * Benchmarks fake-aws on a large generated account (1,000 repositories x 50 pull requests):
 * generation, start-up from a file, server-side time per GetPullRequest (in process and as reported by
 * the Server-Timing header over HTTP) and the SDK's end-to-end latency.
 *
 *   npx tsx packages/fake-aws/scripts/bench-server.ts [--repos 1000] [--prs-per-repo 50] [--users 200]
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CodeCommitClient, GetPullRequestCommand } from '@aws-sdk/client-codecommit';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { GENERATED_DEFAULTS, generateScenario } from '../src/scenario/generate.js';
import { FakeAwsCore, startFakeAws } from '../src/server.js';

const { values } = parseArgs({
  options: {
    repos: { type: 'string', default: '1000' },
    'prs-per-repo': { type: 'string', default: '50' },
    users: { type: 'string', default: '200' },
  },
});
const repos = Number(values.repos);
const prsPerRepo = Number(values['prs-per-repo']);
const users = Number(values.users);
const totalPrs = repos * prsPerRepo;

const ms = (start: number) => performance.now() - start;
const fmt = (n: number, digits = 1) => n.toFixed(digits);
function summary(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  return { mean, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1]! };
}
const us = (s: ReturnType<typeof summary>) =>
  `mean ${fmt(s.mean * 1000)} µs, p50 ${fmt(s.p50 * 1000)} µs, p99 ${fmt(s.p99 * 1000)} µs, max ${fmt(s.max * 1000)} µs`;
const randomPr = () => String(1 + Math.floor(Math.random() * totalPrs));

let t = performance.now();
const scenario = generateScenario({ repos, prsPerRepo, users, seed: 1 });
console.log(`generate ${repos} repos x ${prsPerRepo} PRs, ${users} users: ${fmt(ms(t), 0)} ms`);
const dir = mkdtempSync(join(tmpdir(), 'fake-aws-bench-'));
const file = join(dir, 'large.json');
t = performance.now();
writeFileSync(file, JSON.stringify(scenario));
console.log(`write scenario file: ${fmt(ms(t), 0)} ms, ${fmt(statSync(file).size / 1e6)} MB`);

t = performance.now();
const fake = await startFakeAws({ scenario: file });
console.log(`start-up from the file (read, validate, index, listen): ${fmt(ms(t), 0)} ms`);

// In process: the whole request path (SigV4 header parse, identity, rate limiter, authorization with
// the role's policies, lookup, JSON serialization), without the socket.
const core = new FakeAwsCore({ scenario });
const auth = (key: string, service: string) =>
  `AWS4-HMAC-SHA256 Credential=${key}/20261126/us-east-1/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=00ff`;
const assumed = core.handleAws(
  { authorization: auth(GENERATED_DEFAULTS.platformCredentials.accessKeyId, 'sts') },
  new URLSearchParams({
    Action: 'AssumeRole',
    Version: '2011-06-15',
    RoleArn: `arn:aws:iam::${GENERATED_DEFAULTS.accountId}:role/${GENERATED_DEFAULTS.productRole.roleName}`,
    RoleSessionName: 'bench',
    ExternalId: GENERATED_DEFAULTS.productRole.externalId,
  }).toString(),
  '',
);
const sessionKey = /<AccessKeyId>([^<]+)<\/AccessKeyId>/.exec(assumed.body)?.[1];
if (!sessionKey) throw new Error(`AssumeRole failed: ${assumed.body}`);
const headers = {
  authorization: auth(sessionKey, 'codecommit'),
  'x-amz-target': 'CodeCommit_20150413.GetPullRequest',
  'content-type': 'application/x-amz-json-1.1',
};
for (let i = 0; i < 5_000; i++) core.handleAws(headers, `{"pullRequestId":"${randomPr()}"}`, '');
const inProcess: number[] = [];
for (let i = 0; i < 50_000; i++) {
  const body = `{"pullRequestId":"${randomPr()}"}`;
  const start = performance.now();
  const out = core.handleAws(headers, body, '');
  inProcess.push(performance.now() - start);
  if (out.status !== 200) throw new Error(out.body);
}
console.log(`GetPullRequest in process (50,000 random ids): ${us(summary(inProcess))}`);

// Over HTTP: server-side time from the Server-Timing header, and the SDK's end-to-end latency.
const sts = new STSClient({ endpoint: fake.url, region: 'us-east-1', credentials: fake.platformCredentials });
const role = await sts.send(
  new AssumeRoleCommand({
    RoleArn: `arn:aws:iam::${GENERATED_DEFAULTS.accountId}:role/${GENERATED_DEFAULTS.productRole.roleName}`,
    RoleSessionName: 'bench',
    ExternalId: GENERATED_DEFAULTS.productRole.externalId,
  }),
);
const codecommit = new CodeCommitClient({
  endpoint: fake.url,
  region: 'us-east-1',
  credentials: {
    accessKeyId: role.Credentials!.AccessKeyId!,
    secretAccessKey: role.Credentials!.SecretAccessKey!,
    sessionToken: role.Credentials!.SessionToken!,
  },
});
const serverSide: number[] = [];
codecommit.middlewareStack.add(
  (next) => async (args) => {
    const result = await next(args);
    const header = (result.response as { headers?: Record<string, string> }).headers?.['server-timing'];
    const dur = header ? /dur=([\d.]+)/.exec(header)?.[1] : undefined;
    if (dur) serverSide.push(Number(dur));
    return result;
  },
  { step: 'deserialize', name: 'serverTiming' },
);
for (let i = 0; i < 300; i++) await codecommit.send(new GetPullRequestCommand({ pullRequestId: randomPr() }));
serverSide.length = 0;
const endToEnd: number[] = [];
for (let i = 0; i < 3_000; i++) {
  const start = performance.now();
  await codecommit.send(new GetPullRequestCommand({ pullRequestId: randomPr() }));
  endToEnd.push(performance.now() - start);
}
console.log(`GetPullRequest over HTTP, server time (Server-Timing, 3,000 calls): ${us(summary(serverSide))}`);
const e2e = summary(endToEnd);
console.log(
  `GetPullRequest over HTTP, SDK end to end (sign, send, parse): mean ${fmt(e2e.mean, 2)} ms, p50 ${fmt(e2e.p50, 2)} ms, p99 ${fmt(e2e.p99, 2)} ms`,
);
console.log(
  `memory: rss ${fmt(process.memoryUsage().rss / 1e6, 0)} MB (generator, server and a second in-process core)`,
);

await fake.close();
rmSync(dir, { recursive: true, force: true });
