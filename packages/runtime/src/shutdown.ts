import type { Logger } from 'pino';

type Closer = { name: string; close: () => Promise<unknown> };

/**
 * Orderly shutdown: closers run in registration order (register the worker first, the pool last),
 * the whole sequence raced against a timeout. Exits 128+signal as a process killed by it would.
 */
export function createShutdown(options: {
  logger: Logger;
  timeoutMs: number;
  exit?: (code: number) => void;
}) {
  const closers: Closer[] = [];
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let running: Promise<void> | undefined;

  const run = (reason: string, code: number): Promise<void> => {
    if (running) return running;
    running = (async () => {
      options.logger.info({ reason }, 'shutting down');
      const timer = new Promise<'timeout'>((resolve) =>
        setTimeout(() => resolve('timeout'), options.timeoutMs).unref(),
      );
      const sequence = (async () => {
        for (const c of closers) {
          try {
            await c.close();
          } catch (err) {
            options.logger.error({ err, closer: c.name }, 'error while closing');
          }
        }
        return 'done' as const;
      })();
      const outcome = await Promise.race([sequence, timer]);
      if (outcome === 'timeout') {
        options.logger.error({ timeoutMs: options.timeoutMs }, 'shutdown timed out; exiting anyway');
        exit(code === 0 ? 1 : code);
        return;
      }
      options.logger.info('shutdown complete');
      exit(code);
    })();
    return running;
  };

  return {
    register(name: string, close: () => Promise<unknown>) {
      closers.push({ name, close });
    },
    /** Installs SIGTERM/SIGINT handlers. */
    listen() {
      process.once('SIGTERM', () => void run('SIGTERM', 128 + 15));
      process.once('SIGINT', () => void run('SIGINT', 128 + 2));
    },
    shutdown: run,
  };
}

export type Shutdown = ReturnType<typeof createShutdown>;
