/**
 * Project-local Python virtualenvs from pinned requirements files: created and filled when
 * missing or when the requirements changed, so nothing is installed by hand. Used for moto
 * (`.venv`) and the template scanners cfn-lint and checkov (`.venv-tools`).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '../..');

/** The lines of pip's output that show progress, at most one every INTERVAL_MS. */
const INTERVAL_MS = 3000;

/**
 * What an install is doing, from pip's output: packages fetched out of the pinned total, then
 * their installation, each with the time so far. Pure; `line` returns what to print, if anything.
 */
export class PipProgress {
  private fetched = 0;
  private installing = false;
  private shownAt: number;
  private readonly started: number;

  constructor(
    private readonly what: string,
    private readonly total: number,
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
    this.shownAt = this.started;
  }

  line(text: string): string | undefined {
    const collecting = /^Collecting (\S+)/.exec(text);
    if (collecting !== null) {
      this.fetched += 1;
      const name = (collecting[1] ?? '').split(/[=<>!~[]/)[0] ?? '';
      return this.throttled(
        `${String(this.fetched)}/${String(this.total)} packages fetched (${name})`,
      );
    }
    if (!this.installing && text.startsWith('Installing collected packages')) {
      this.installing = true;
      return this.shown(`all ${String(this.fetched)} packages fetched; installing them`);
    }
    return undefined;
  }

  done(): string {
    return `Installed ${this.what} (${String(this.fetched)} packages) in ${this.elapsed()}`;
  }

  private elapsed(): string {
    return `${String(Math.round((this.now() - this.started) / 1000))} s`;
  }

  private throttled(message: string): string | undefined {
    return this.now() - this.shownAt < INTERVAL_MS ? undefined : this.shown(message);
  }

  private shown(message: string): string {
    this.shownAt = this.now();
    return `Installing ${this.what}: ${message}, ${this.elapsed()}`;
  }
}

/** The pinned requirements in a requirements file: its lines that are not comments. */
export function requirementCount(text: string): number {
  return text.split('\n').filter((line) => line.trim() !== '' && !line.trim().startsWith('#'))
    .length;
}

/**
 * Run a setup command without blocking the event loop (the local stack keeps answering); each
 * line of its output goes to `onLine`.
 */
function run(
  command: string,
  args: string[],
  what: string,
  onLine?: (line: string) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    // stdout is read even without onLine, so its pipe never fills.
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) onLine?.(line);
    });
    let stderr = '';
    child.stderr.on(
      'data',
      (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_096)),
    );
    child.once('error', (error) => {
      reject(new Error(`${what} failed: ${error.message}`));
    });
    child.once('exit', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${what} failed: ${stderr.trim().split('\n').slice(-5).join('\n')}`));
    });
  });
}

export interface VenvSpec {
  /** Folder under the repository root, e.g. `.venv`. */
  readonly dir: string;
  /** Requirements file under the repository root, every version pinned. */
  readonly requirements: string;
  /** What is being installed, for messages. */
  readonly what: string;
  readonly progress?: (message: string) => void;
}

/** The virtualenv's `bin` folder, creating and installing it first if needed. */
export async function ensureVenv(spec: VenvSpec): Promise<string> {
  const venv = join(ROOT, spec.dir);
  const requirements = join(ROOT, spec.requirements);
  const stamp = join(venv, '.requirements.sha256');
  const wanted = createHash('sha256').update(readFileSync(requirements)).digest('hex');
  const python = join(venv, 'bin', 'python');
  if (!existsSync(python)) {
    await run(
      process.env['PYTHON'] ?? 'python3',
      ['-m', 'venv', venv],
      `Creating ${spec.dir} (needs Python 3.9+ with venv)`,
    );
  }
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== wanted) {
    const total = requirementCount(readFileSync(requirements, 'utf8'));
    spec.progress?.(
      `Installing ${spec.what} into ${spec.dir}: ${String(total)} pinned packages from ${spec.requirements} (once, about a minute)…`,
    );
    const progress = new PipProgress(spec.what, total);
    await run(
      python,
      [
        '-m',
        'pip',
        'install',
        '--disable-pip-version-check',
        '--progress-bar',
        'off',
        '-r',
        requirements,
      ],
      `Installing ${spec.what} into ${spec.dir}`,
      (line) => {
        const message = progress.line(line);
        if (message !== undefined) spec.progress?.(message);
      },
    );
    spec.progress?.(progress.done());
    writeFileSync(stamp, wanted);
  }
  return join(venv, 'bin');
}
