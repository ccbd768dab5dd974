import fc from 'fast-check';
import { ColumnSet } from '../sdk/runtime/decode/columns';
import { RecordDecoder } from '../sdk/runtime/decode/record-decoder';
import { recordArb, recordText, schemaArb } from '../test/runtime/payloads';
const records = schemaArb.chain((s) => fc.array(recordArb(s), { minLength: 1, maxLength: 10 }));
let t = Date.now();
const samples = fc.sample(records, {numRuns: 300, seed: 42});
console.log('sample', Date.now() - t);
t = Date.now();
let n = 0;
for (const recs of samples) {
  const viaBytes = new ColumnSet(); const viaText = new ColumnSet();
  const bytes = new RecordDecoder(viaBytes); const text = new RecordDecoder(viaText);
  recs.forEach((r, i) => {
    const tx = recordText(r);
    const a = bytes.add(null, tx === null ? null : Buffer.from(tx), 0, i, 0);
    const b = text.add(null, tx, 0, i, 0);
    if (a !== b) { console.log('MISMATCH', a, b, JSON.stringify(tx).slice(0, 300)); }
    n++;
  });
  for (const c of viaText.columns) { const o = viaBytes.get(c.name); if (!o) { console.log('missing col', c.name); continue; } for (let i = 0; i < viaText.rows; i++) if (!Object.is(o.get(i), c.get(i))) console.log('diff', c.name, i, o.get(i), c.get(i), JSON.stringify(recordText(recs[i]))); }
}
console.log('decoded', n, Date.now() - t);
