/**
 * `pnpm test:clean [--templates]`: drops the databases test runs left behind when they were killed
 * before their teardown (`cce_t_*`, one per test file), on the server of DATABASE_URL; with
 * `--templates`, also the migrated templates they clone (`cce_tpl_*`), but only when no test database
 * exists at all (a run under way clones its template for every new test file). The test harness itself
 * only ever drops its own run's databases; this is the explicit clean-up for leftovers. A database
 * still in use is kept and named.
 */
import pg from 'pg';

const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const client = new pg.Client({ connectionString: url });
try {
  await client.connect();
} catch (err) {
  console.error(`test:clean: cannot reach Postgres at DATABASE_URL: ${(err as Error).message}`);
  process.exit(1);
}
try {
  const { rows } = await client.query<{ datname: string; connections: number }>(
    `SELECT d.datname, (SELECT count(*)::int FROM pg_stat_activity a WHERE a.datname = d.datname) AS connections
       FROM pg_database d WHERE d.datname LIKE 'cce\\_t\\_%' OR d.datname LIKE 'cce\\_tpl\\_%' ORDER BY 1`,
  );
  const templates = process.argv.includes('--templates');
  const runUnderWay = rows.some((r) => r.datname.startsWith('cce_t_'));
  let dropped = 0;
  for (const { datname, connections } of rows) {
    if (datname.startsWith('cce_tpl_') && (!templates || runUnderWay)) {
      if (templates) console.log(`kept ${datname}: a test run may be cloning it (test databases exist)`);
      continue;
    }
    if (connections > 0) {
      console.log(`kept ${datname}: in use by ${connections} connection(s)`);
      continue;
    }
    try {
      await client.query(`DROP DATABASE IF EXISTS "${datname}"`);
      dropped++;
    } catch (err) {
      console.log(`kept ${datname}: ${(err as Error).message}`);
    }
  }
  console.log(`test:clean: dropped ${dropped} of ${rows.length} test database(s)`);
} finally {
  await client.end();
}
