import type { Logger } from 'pino';
import type { z } from 'zod';
import { parseEnv } from './env.js';

/** Exit code for bad configuration (sysexits' EX_CONFIG): a supervisor should not restart in a loop. */
export const EXIT_CONFIG = 78;
/** Exit code when a dependency (Postgres, Redis) cannot be reached at start. */
export const EXIT_UNAVAILABLE = 1;

/**
 * Parses the environment once at start; on a bad value prints which variables are wrong (never their
 * values) and exits with EX_CONFIG. Every app starts with this.
 */
export function loadConfigOrExit<S extends z.ZodType>(
  app: string,
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<S> {
  try {
    return parseEnv(schema, env);
  } catch (err) {
    process.stderr.write(`${app}: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(EXIT_CONFIG);
  }
}

/**
 * Runs the start-up reachability checks (each names its variable in its error); on the first failure
 * logs it, releases what was opened, and exits, so a misconfigured process stops at once instead of
 * retrying in the background.
 */
export async function checkDependenciesOrExit(
  logger: Logger,
  checks: (() => Promise<void>)[],
  release: () => Promise<unknown>,
): Promise<void> {
  try {
    for (const check of checks) await check();
  } catch (err) {
    logger.fatal({ err: err instanceof Error ? err.message : String(err) }, 'cannot start');
    await release().catch(() => {});
    process.exit(EXIT_UNAVAILABLE);
  }
}
