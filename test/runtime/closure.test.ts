/**
 * The runtime's import closure, read from the compiled files an exported app receives: only
 * Node's built-ins, kafkajs and TensorFlow.js, never the notebook side (danfo, tslab, the broker,
 * the CLI, plots). And the notebook's own paths really go through it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'fs';
import * as path from 'path';
import { forbiddenImports, importClosure, packageOf } from '../../sdk/export/runtime-package';

const root = path.resolve(__dirname, '..', '..');
const dist = path.join(root, 'dist');

test('packages are told from built-ins', () => {
  assert.is(packageOf('kafkajs/src/protocol/requests'), 'kafkajs');
  assert.is(packageOf('@tensorflow/tfjs'), '@tensorflow/tfjs');
  assert.is(packageOf('node:fs'), undefined);
  assert.is(packageOf('fs/promises'), undefined);
});

test('the runtime imports only Node built-ins, kafkajs, TensorFlow.js and the schema libraries', () => {
  const closure = importClosure(dist);
  assert.equal(forbiddenImports(closure), []);
  assert.equal([...closure.packages.keys()].sort(), ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-node', 'ajv', 'avsc', 'kafkajs', 'protobufjs']);
  for (const f of closure.files) {
    assert.not.match(f, /^sdk\/(frame|ml|stream|broker|cli|plot|ingest|export)\//, `${f} is notebook-side code`);
    assert.not.match(f, /^kernel\//, f);
  }
  // Every module comes with its type declarations (the app is TypeScript).
  const js = closure.files.filter((f) => f.endsWith('.js'));
  for (const f of js) assert.ok(closure.files.includes(f.replace(/\.js$/, '.d.ts')), `${f} has no .d.ts`);
  assert.ok(js.length >= 15, `${js.length} modules`);
});

test('a forbidden import is found, with who imports it', () => {
  const closure = importClosure(dist, ['sdk/frame/dataframe']);
  assert.ok(forbiddenImports(closure).some((f) => f.startsWith('danfojs-node (imported by sdk/frame/dataframe)')), forbiddenImports(closure).join());
});

test('read(), stream() and the Autoencoder decode and score through the runtime', () => {
  const uses = (file: string, what: RegExp) => assert.match(readFileSync(path.join(root, file), 'utf8'), what, file);
  uses('sdk/kafka/read-part.ts', /from '\.\.\/runtime\/decode\/record-decoder'/);
  uses('sdk/kafka/source.ts', /from '\.\.\/runtime\/decode\/record-decoder'/);
  uses('sdk/ml/autoencoder.ts', /this\.scorer\.scoreRows\(/);
  uses('sdk/export/templates/app/src/chunk.ts', /from '@kafkalab\/runtime'/);
});

test.run();
