/**
 * The library's `.d.ts` files (scripts/build-lib.ts): tsc's declarations of the entry and of the
 * modules they reference, nothing more, with every relative import spelled as node16/nodenext
 * resolution wants it (`./token-tables.js`, `./consumer/index.js`). The same files go into
 * dist/esm and dist/cjs; each folder's package.json type decides how TypeScript reads them.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';

const SPECIFIER = /(\bfrom\s+|\bimport\s*\(\s*)(['"])([^'"]+)\2/g;
const TYPES_REFERENCE = /^\/\/\/\s*<reference\s+types=(['"])([^'"]+)\1/gm;

export interface DeclarationOptions {
  readonly root: string;
  /** The library's entries, .ts files under root, by name: `<name>.d.ts` re-exports each. */
  readonly entries: Readonly<Record<string, string>>;
  /** Where the tree goes, each with a `<name>.d.ts` per entry. */
  readonly outDirs: readonly string[];
}

interface Declarations {
  /** Path under the declaration root → rewritten text. */
  readonly files: Map<string, string>;
  /** Every package a declaration imports. */
  readonly externals: Set<string>;
}

/** The relative specifier as an explicit file: `./x` → `./x.js` or `./x/index.js`. */
function explicitSpecifier(fromFile: string, specifier: string): string {
  const target = join(dirname(fromFile), specifier);
  if (existsSync(`${target}.d.ts`)) return `${specifier}.js`;
  if (existsSync(join(target, 'index.d.ts'))) return `${specifier}/index.js`;
  throw new Error(`${fromFile}: cannot find the declarations of "${specifier}"`);
}

function resolvedFile(fromFile: string, explicit: string): string {
  return join(dirname(fromFile), explicit.replace(/\.js$/, '.d.ts'));
}

/** The entry's declarations and every declaration they import, rewritten. */
function collect(declarationRoot: string, entryFile: string): Declarations {
  const files = new Map<string, string>();
  const externals = new Set<string>();
  const pending = [entryFile];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    const key = relative(declarationRoot, file);
    if (files.has(key)) continue;
    const text = readFileSync(file, 'utf8');
    for (const [, , name] of text.matchAll(TYPES_REFERENCE)) if (name) externals.add(name);
    const rewritten = text.replace(
      SPECIFIER,
      (_match, lead: string, quote: string, spec: string) => {
        if (!spec.startsWith('.')) {
          externals.add(spec);
          return `${lead}${quote}${spec}${quote}`;
        }
        const explicit = explicitSpecifier(file, spec);
        pending.push(resolvedFile(file, explicit));
        return `${lead}${quote}${explicit}${quote}`;
      },
    );
    files.set(key, rewritten);
  }
  return { files, externals };
}

function emitDeclarations(project: string, outDir: string): Promise<void> {
  const tsc = join(dirname(project), 'node_modules/typescript/bin/tsc');
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [tsc, '-p', project, '--outDir', outDir], (error, stdout) => {
      if (error) reject(new Error(`tsc -p ${project} failed:\n${stdout}`, { cause: error }));
      else resolve();
    });
  });
}

/** Writes the declarations into each outDir and returns the packages they import. */
export async function writeDeclarations(options: DeclarationOptions): Promise<string[]> {
  const emitted = mkdtempSync(join(tmpdir(), 'service-tokens-dts-'));
  try {
    await emitDeclarations(join(options.root, 'tsconfig.lib.json'), emitted);
    const files = new Map<string, string>();
    const externals = new Set<string>();
    const reexports = new Map<string, string>();
    for (const [name, file] of Object.entries(options.entries)) {
      const entry = relative(options.root, file).replace(/\.ts$/, '.d.ts');
      const found = collect(emitted, join(emitted, entry));
      for (const [path, text] of found.files) files.set(path, text);
      for (const external of found.externals) externals.add(external);
      reexports.set(`${name}.d.ts`, `export * from './${entry.replace(/\.d\.ts$/, '.js')}';\n`);
    }
    for (const outDir of options.outDirs) {
      for (const [path, text] of [...files, ...reexports]) {
        mkdirSync(dirname(join(outDir, path)), { recursive: true });
        writeFileSync(join(outDir, path), text);
      }
    }
    return [...externals];
  } finally {
    rmSync(emitted, { recursive: true, force: true });
  }
}
