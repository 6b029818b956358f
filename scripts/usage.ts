/**
 * `--help` for the bench scripts: prints the usage line and exits, after the script's static imports
 * have loaded (so `pnpm bench:… --help` also proves the bench code and its dependencies resolve).
 */
export function exitWithUsageOnHelp(usage: string, argv: readonly string[] = process.argv.slice(2)): void {
  if (!argv.includes('--help') && !argv.includes('-h')) return;
  process.stdout.write(`usage: ${usage}\n`);
  process.exit(0);
}
