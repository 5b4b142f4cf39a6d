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

/** Run a setup command without blocking the event loop (the local stack keeps answering). */
function run(command: string, args: string[], what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
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
    spec.progress?.(
      `Installing ${spec.what} into ${spec.dir} from ${spec.requirements} (once, about a minute)…`,
    );
    await run(
      python,
      ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', '-r', requirements],
      `Installing ${spec.what} into ${spec.dir}`,
    );
    writeFileSync(stamp, wanted);
  }
  return join(venv, 'bin');
}
