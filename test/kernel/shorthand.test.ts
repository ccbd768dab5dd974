/** expandShorthandProperties: the source rewrite that works around tslab's shorthand-property bug. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as ts from 'typescript';
import { expandShorthandProperties } from '../../kernel/shorthand';

const expand = (code: string) => expandShorthandProperties(code, ts);

test('object literals, nested and mixed with other properties', () => {
  assert.is(expand('const o = { kafka };'), 'const o = { kafka: kafka };');
  assert.is(expand('f({ a, b: 1, ...c, d }, [{ e }])'), 'f({ a: a, b: 1, ...c, d: d }, [{ e: e }])');
  assert.is(expand('const o = {\n  kafka,\n  topic\n};'), 'const o = {\n  kafka: kafka,\n  topic: topic\n};');
});

test('assignment patterns keep their defaults; declarations, blocks, strings and types are untouched', () => {
  assert.is(expand('({ a = 1, b } = obj);'), '({ a: a = 1, b: b } = obj);');
  for (const same of ['const { a, b = 2 } = obj;', 'if (x) { y }', "const s = '{ kafka }';", 'type T = { kafka: string };', 'const t = `${ {a: 1}.a }`;', 'import { x } from "y";']) {
    assert.is(expand(same), same);
  }
});

test('expanded code evaluates the same', () => {
  const src = 'const a = 1, b = 2; let x = 0; const o = { a, b }; ({ x } = { x: 5 }); [o.a + o.b, x]';
  const out = ts.transpileModule(expand(src), { compilerOptions: { target: ts.ScriptTarget.ES2020 } }).outputText;
  assert.equal(eval(out), [3, 5]);
});

test.run();
