import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as ts from 'typescript';
import { KafkalabError } from '../../sdk/util/errors';
import { badOption, checkOptions, describeValue, optionKeys } from '../../sdk/util/options';

const AE = ['features', 'windows', 'key', 'layers', 'seed'] as const;

function caught(fn: () => unknown): KafkalabError {
  try {
    fn();
  } catch (err) {
    assert.instance(err, KafkalabError);
    return err as KafkalabError;
  }
  throw new Error('expected an error');
}

test('an unknown option is named, with the closest allowed one', () => {
  const e = caught(() => checkOptions('new Autoencoder()', { layer: [4] }, AE));
  assert.is(e.message, 'Unknown option "layer" for new Autoencoder(); did you mean "layers"?');
  assert.is(e.code, 'BAD_OPTION');
  assert.is(e.hint, 'did you mean "layers"?');
  assert.is(caught(() => checkOptions('fit()', { Seed: 1 }, AE)).hint, 'did you mean "seed"?', 'case is ignored when suggesting');
});

test('without a close match the hint lists the valid options; several unknown ones are all named', () => {
  const far = caught(() => checkOptions('new Autoencoder()', { colour: 'red' }, AE));
  assert.is(far.message, 'Unknown option "colour" for new Autoencoder(); valid options: features, windows, key, layers, seed');
  const two = caught(() => checkOptions('new Autoencoder()', { layer: [4], seeed: 1, zzzzzzzz: 2 }, AE));
  assert.is(two.message, 'Unknown options "layer" (did you mean "layers"?), "seeed" (did you mean "seed"?), "zzzzzzzz" for new Autoencoder(); valid options: features, windows, key, layers, seed');
});

test('known options pass, undefined values included; no options at all pass', () => {
  checkOptions('x()', { features: ['a'], seed: undefined }, AE);
  checkOptions('x()', {}, AE);
  checkOptions('x()', undefined, AE);
  checkOptions('x()', Object.assign(Object.create({ inherited: 1 }), { seed: 1 }), AE);
});

test('a value that is not an options object is refused', () => {
  for (const bad of [null, 'fast', 3, ['features'], () => 1]) {
    const e = caught(() => checkOptions('fit()', bad as never, AE));
    assert.match(e.message, /^fit\(\) takes an options object, got /);
    assert.is(e.hint, 'valid options: features, windows, key, layers, seed');
  }
  assert.match(caught(() => checkOptions('fit()', null as never, AE)).message, /got null; valid options/);
});

test('badOption says what was expected and shows the value as typed', () => {
  const e = badOption('fit()', 'epochs', 2.5, 'a positive integer', 'epochs: 20');
  assert.is(e.message, 'fit(): epochs must be a positive integer, got 2.5; e.g. epochs: 20');
  assert.is(e.code, 'BAD_OPTION');
  assert.is(badOption('new Autoencoder()', 'features', [], 'a non-empty array').message, 'new Autoencoder(): features must be a non-empty array, got []');
  assert.is(describeValue('relu'), '"relu"');
  assert.is(describeValue(NaN), 'NaN');
  assert.is(describeValue(undefined), 'undefined');
  assert.is(describeValue(() => 1), 'a function');
  assert.is(describeValue('x'.repeat(200)).length, 80);
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.is(describeValue(cyclic), '[object Object]');
});

test('optionKeys returns the list and rejects, at compile time, a list that drifted from the interface', () => {
  interface Opts {
    a?: number;
    b?: string;
  }
  const keys = optionKeys<Opts>()(['a', 'b']);
  assert.equal([...keys], ['a', 'b']);

  const dir = mkdtempSync(join(tmpdir(), 'kafkalab-options-'));
  try {
    const file = join(dir, 'drift.ts');
    const from = resolve(__dirname, '../../sdk/util/options').replace(/\\/g, '/');
    writeFileSync(
      file,
      [
        `import { optionKeys } from '${from}';`,
        'interface Opts { a?: number; b?: string }',
        "export const ok = optionKeys<Opts>()(['b', 'a']);",
        "export const missing = optionKeys<Opts>()(['a']);",
        "export const extra = optionKeys<Opts>()(['a', 'b', 'c']);",
      ].join('\n'),
    );
    const program = ts.createProgram([file], { strict: true, noEmit: true, skipLibCheck: true, types: [], target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS });
    const errors = ts.getPreEmitDiagnostics(program).filter((d) => d.file?.fileName === file);
    const lines = errors.map((d) => d.file!.getLineAndCharacterOfPosition(d.start!).line + 1).sort();
    assert.equal(lines, [4, 5], errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')).join('\n'));
    assert.match(ts.flattenDiagnosticMessageText(errors.find((d) => d.file!.getLineAndCharacterOfPosition(d.start!).line === 3)!.messageText, '\n'), /missingOptions: "b"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
