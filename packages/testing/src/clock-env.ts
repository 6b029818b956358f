/**
 * The variables that move a process's clock (libfaketime, as `pnpm test:any-date` sets them). A test
 * that starts a child process with an environment of its own passes these on, so the child shares the
 * test's clock: a worker on the real clock beside a story shifted to a moved "today" would judge a
 * different audit window.
 *
 * Code that runs outside vitest (the benches) imports it from `@codecommit-evidence/testing/clock-env`:
 * the package's index imports vitest, which throws when loaded by a plain tsx process.
 */
export function clockEnv(): Record<string, string> {
  const names = ['LD_PRELOAD', 'FAKETIME', 'FAKETIME_DONT_FAKE_MONOTONIC'];
  return Object.fromEntries(
    names.flatMap((name) => (process.env[name] === undefined ? [] : [[name, process.env[name] as string]])),
  );
}
