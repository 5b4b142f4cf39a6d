/**
 * The size rule of docs/architecture.md: no source file in shared/, cli/, local/, infra/, client/, examples/ or functions/
 * over 300 lines, and no function (declaration, method, arrow or expression, nested ones
 * counted within their parents) over 80 lines. Prints every breach; exits 1 if there is one.
 *
 *   npx tsx scripts/size-check.ts
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const ROOT = join(import.meta.dirname, '..');
const FOLDERS = ['shared', 'cli', 'local', 'infra', 'client', 'examples', 'functions'];
const MAX_FILE_LINES = 300;
const MAX_FUNCTION_LINES = 80;

function sources(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function functionBreaches(file: ts.SourceFile): string[] {
  const breaches: string[] = [];
  const lineOf = (position: number) => file.getLineAndCharacterOfPosition(position).line + 1;
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body !== undefined) {
      const first = lineOf(node.getStart(file));
      const lines = lineOf(node.getEnd()) - first + 1;
      if (lines > MAX_FUNCTION_LINES) {
        const name = functionName(node, file);
        breaches.push(`${file.fileName}:${String(first)} function ${name}: ${String(lines)} lines`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return breaches;
}

/** The function's own name, or the name it is bound to (a constant, a property). */
function functionName(node: ts.SignatureDeclaration, file: ts.SourceFile): string {
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  if (node.name !== undefined) return node.name.getText(file);
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) {
    return parent.name.getText(file);
  }
  return '(anonymous)';
}

const breaches = FOLDERS.flatMap((folder) => sources(join(ROOT, folder))).flatMap((path) => {
  const text = readFileSync(path, 'utf8');
  const name = relative(ROOT, path);
  const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  const file = ts.createSourceFile(name, text, ts.ScriptTarget.Latest, true);
  return [
    ...(lines > MAX_FILE_LINES ? [`${name}: ${String(lines)} lines`] : []),
    ...functionBreaches(file),
  ];
});

for (const breach of breaches) console.log(breach);
console.log(
  breaches.length === 0
    ? `size-check: every file ≤ ${String(MAX_FILE_LINES)} lines, every function ≤ ${String(MAX_FUNCTION_LINES)}`
    : `size-check: ${String(breaches.length)} breach(es)`,
);
process.exitCode = breaches.length === 0 ? 0 : 1;
