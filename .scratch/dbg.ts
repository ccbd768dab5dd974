import fc from 'fast-check';
import { caseArb, recordText, schemaArb, recordArb } from '../test/runtime/payloads';
let t = Date.now();
const s = fc.sample(schemaArb, 5);
console.log('schemas', Date.now() - t, JSON.stringify(s[0]));
t = Date.now();
const r = fc.sample(recordArb(s[0]), 20);
console.log('records', Date.now() - t, r.slice(0, 3).map(recordText));
