/**
 * Works around a tslab bug: tslab turns references to earlier cells' top-level names into
 * `exports.name`, but it looks the name up with the type checker's `getSymbolAtLocation`, which
 * for a shorthand property (`{ kafka }`) answers the property, not the variable. The shorthand
 * is emitted unchanged and fails at run time with "kafka is not defined".
 *
 * `{ kafka }` means exactly `{ kafka: kafka }`, so expanding every shorthand property before
 * tslab converts the cell is safe everywhere (object literals and assignment patterns alike) and
 * lets tslab's rewrite see an ordinary identifier.
 */
import type * as TS from 'typescript';

/** The cell's source with each `{ name }` property written as `{ name: name }`. */
export function expandShorthandProperties(code: string, ts: typeof TS): string {
  const file = ts.createSourceFile('cell.ts', code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const inserts: { at: number; text: string }[] = [];
  const visit = (node: TS.Node): void => {
    if (ts.isShorthandPropertyAssignment(node)) {
      const name = node.name.text;
      // `{ a = 1 } = obj` (a default in an assignment pattern) becomes `{ a: a = 1 } = obj`.
      inserts.push({ at: node.name.getStart(file), text: `${name}: ` });
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  if (inserts.length === 0) return code;
  let out = '';
  let from = 0;
  for (const { at, text } of inserts.sort((a, b) => a.at - b.at)) {
    out += code.slice(from, at) + text;
    from = at;
  }
  return out + code.slice(from);
}
