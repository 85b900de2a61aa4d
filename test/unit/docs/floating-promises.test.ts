import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : /\.tsx?$/.test(n) && !n.endsWith('.d.ts') ? [p] : [];
  });
}

/** Whether a value of this type is a promise (or may be one). */
function isThenable(checker: ts.TypeChecker, type: ts.Type): boolean {
  if (type.isUnion()) return type.types.some((t) => isThenable(checker, t));
  const then = type.getProperty('then');
  if (!then) return false;
  const thenType = checker.getTypeOfSymbol(then);
  return thenType.getCallSignatures().length > 0;
}

/** `p.catch(handler)` and `p.then(ok, fail)` handle the rejection, also with a `.finally(…)` after them. */
function handlesRejection(expr: ts.Expression): boolean {
  if (!ts.isCallExpression(expr) || !ts.isPropertyAccessExpression(expr.expression)) return false;
  const name = expr.expression.name.text;
  if (name === 'finally') return handlesRejection(expr.expression.expression);
  return (name === 'catch' && expr.arguments.length >= 1) || (name === 'then' && expr.arguments.length >= 2);
}

/** `x = promise` keeps the promise for someone to await: it is not left floating. */
function isAssignment(expr: ts.Expression): boolean {
  return ts.isBinaryExpression(expr) && expr.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && expr.operatorToken.kind <= ts.SyntaxKind.LastAssignment;
}

/**
 * Promise-valued expression statements: a rejection of one of them is an unhandled rejection.
 * Await it, return it, end it with `.catch(…)`, or mark it deliberate with `void`.
 */
function floatingPromises(roots: string[]): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
  if (!config) throw new Error('tsconfig.json could not be read');
  const program = ts.createProgram(roots, { ...config.options, noEmit: true });
  const checker = program.getTypeChecker();
  const found: string[] = [];
  for (const file of program.getSourceFiles()) {
    if (!roots.includes(file.fileName)) continue;
    const visit = (node: ts.Node): void => {
      if (ts.isExpressionStatement(node)) {
        const expr = node.expression;
        if (!ts.isVoidExpression(expr) && !isAssignment(expr) && !handlesRejection(expr) && isThenable(checker, checker.getTypeAtLocation(expr))) {
          const { line } = file.getLineAndCharacterOfPosition(node.getStart());
          found.push(`${relative(ROOT, file.fileName)}:${line + 1}: ${node.getText().split('\n')[0]}`);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  return found;
}

describe('promises', () => {
  it('are never left floating in src/ (await, return, .catch, or void on purpose)', () => {
    const roots = files(join(ROOT, 'src'));
    expect(floatingPromises(roots)).toEqual([]);
  }, 120_000);
});
