/**
 * The three workers as their own processes (`node dist/index.js` of each app, configured only by the
 * environment, as a deployment runs them), under a supervisor that restarts whatever exits, as
 * Kubernetes or Compose would. A kill the chaos run ordered is counted apart from an exit of the
 * worker's own (a crash, or a refusal to start while Postgres or Redis is down).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const WORKERS = ['repo-sync', 'iam-sync', 'checks-evaluator'] as const;
export type WorkerName = (typeof WORKERS)[number];

const appDir = (app: WorkerName) => fileURLToPath(new URL(`../../apps/${app}`, import.meta.url));

export interface WorkerExit {
  worker: WorkerName;
  at: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  ordered: boolean;
  /** The last lines the process wrote. */
  tail: string;
}

export class Supervisor {
  private readonly children = new Map<WorkerName, ChildProcess>();
  private readonly output = new Map<WorkerName, string>();
  private readonly ordered = new Set<ChildProcess>();
  private stopping = false;
  readonly exits: WorkerExit[] = [];
  /** When the last restart after an exit happened (epoch ms). */
  lastRestartAt = 0;

  constructor(
    private readonly env: Record<string, string>,
    private readonly restartDelayMs: () => number,
  ) {}

  startAll(): void {
    for (const worker of WORKERS) this.start(worker);
  }

  private start(worker: WorkerName): void {
    const child = spawn(process.execPath, ['dist/index.js'], {
      cwd: appDir(worker),
      env: { PATH: process.env.PATH ?? '', HEALTH_PORT: '0', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (d: Buffer) => {
      this.output.set(worker, ((this.output.get(worker) ?? '') + d.toString()).slice(-4000));
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.children.set(worker, child);
    child.once('exit', (code, signal) => {
      const ordered = this.ordered.delete(child);
      if (this.stopping) return;
      this.exits.push({
        worker,
        at: Date.now(),
        code,
        signal,
        ordered,
        tail: (this.output.get(worker) ?? '').split('\n').slice(-6).join('\n'),
      });
      this.output.set(worker, '');
      setTimeout(() => {
        if (this.stopping) return;
        this.start(worker);
        this.lastRestartAt = Date.now();
      }, this.restartDelayMs());
    });
  }

  /** SIGKILL, as an OOM kill or a lost node would; the supervisor restarts it. */
  kill9(worker: WorkerName): boolean {
    const child = this.children.get(worker);
    if (!child || child.exitCode !== null || child.signalCode !== null) return false;
    this.ordered.add(child);
    child.kill('SIGKILL');
    return true;
  }

  /** Stops every worker (SIGTERM, SIGKILL after 10 s) and restarts none. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      [...this.children.values()].map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  tails(): string {
    return WORKERS.map(
      (w) => `--- ${w}\n${(this.output.get(w) ?? '').split('\n').slice(-15).join('\n')}`,
    ).join('\n');
  }
}
