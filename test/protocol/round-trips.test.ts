/**
 * Every described message, at every version it describes: arbitrary values (fast-check) encode,
 * decode back to what the version can carry (the independent oracle in schema-oracle.ts), use
 * every byte, and re-encode to the same bytes.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import { Reader } from '../../sdk/protocol/reader';
import { Writer } from '../../sdk/protocol/writer';
import { Message } from '../../sdk/protocol/schema';
import { arbitraryMessage, project } from './schema-oracle';

const dir = path.join(__dirname, '../../sdk/protocol/messages');
const messages: Message[] = [];
for (const file of fs.readdirSync(dir).sort()) {
  if (!/\.(ts|js)$/.test(file) || file.endsWith('.d.ts')) continue;
  for (const v of Object.values(require(path.join(dir, file)) as Record<string, unknown>)) if (v instanceof Message) messages.push(v);
}

test('every API has both halves described, with the same versions', () => {
  const byKey = new Map<number, Message[]>();
  for (const m of messages) byKey.set(m.apiKey, [...(byKey.get(m.apiKey) ?? []), m]);
  for (const [key, pair] of byKey) {
    assert.is(pair.length, 2, `API ${key}: ${pair.map((m) => m.name).join(', ')}`);
    const [a, b] = pair;
    assert.equal([a.versions, a.flexibleVersions], [b.versions, b.flexibleVersions], `${a.name} vs ${b.name}`);
  }
});

for (const m of messages) {
  test(`${m.name} v${m.versions.min}-${m.versions.max}: encode -> decode -> encode`, () => {
    for (let v = m.versions.min; v <= m.versions.max; v++) {
      fc.assert(
        fc.property(arbitraryMessage(m, v), (value) => {
          const w = new Writer(16);
          m.encode(w, value as never, v);
          const bytes = w.toBuffer();
          const r = new Reader(bytes);
          const back = m.decode(r, v);
          assert.is(r.remaining, 0, `${m.name} v${v} left ${r.remaining} bytes`);
          assert.equal(back, project(m, value, v), `${m.name} v${v}`);
          const again = new Writer(16);
          m.encode(again, back as never, v);
          assert.ok(again.toBuffer().equals(bytes), `${m.name} v${v} re-encodes differently`);
        }),
        { numRuns: 40 },
      );
    }
  });
}

test.run();
