/**
 * The exported app on an Avro input topic (issue 15.3): the motors data set written as
 * Confluent-framed Avro, the notebook reads and trains on it, the real app process decodes it
 * through the same runtime and scores every record as the notebook does (within 1e-5); a record
 * whose Avro payload is cut short is a dead letter with the reason read() reports. Results are
 * written as Avro (OUTPUT_FORMAT=avro, schema registered under `<output>-value`) and read back by
 * read() into the same columns the JSON results give.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { keyPartition } from '../../sdk/runtime';
import { MOTOR_FAULT_TYPES } from '../../sdk/ingest/motors/generator';
import { codecFor } from '../../sdk/registry/serdes';
import { frame } from '../../sdk/registry/serdes/wire';
import { readReport, recordsOf } from '../../sdk/frame/dataframe';
import { motorsCase } from './parity-cases';
import { runCase, startRig, type Rig } from './parity-rig';

let rig: Rig;
test.before(async () => {
  rig = await startRig('link', { registry: true });
});
test.after(() => rig?.stop());

const reading = {
  type: 'record',
  name: 'MotorReading',
  namespace: 'motors',
  fields: [
    { name: 'motor', type: 'string' },
    { name: 'ts', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'seq', type: 'long' },
    { name: 'line', type: 'string' },
    { name: 'rpm', type: 'double' },
    { name: 'load', type: 'double' },
    { name: 'temp', type: { type: 'record', name: 'Temp', fields: [{ name: 'winding', type: 'double' }, { name: 'bearing', type: 'double' }] } },
    { name: 'current', type: 'double' },
    { name: 'voltage', type: 'double' },
    { name: 'vib', type: { type: 'record', name: 'Vib', fields: ['x', 'y', 'z'].map((name) => ({ name, type: 'double' })) } },
    { name: 'ambient', type: ['null', 'double'], default: null },
    { name: 'fault', type: 'int' },
    { name: 'fault_type', type: { type: 'enum', name: 'FaultType', symbols: ['none', ...MOTOR_FAULT_TYPES] } },
  ],
};

test('motors as Avro: the app decodes through the runtime and scores every record as the notebook does; Avro results', async () => {
  const topic = 'motors-avro';
  const text = JSON.stringify(reading);
  const id = await rig.kafka.schemaRegistry!.register(`${topic}-value`, { schema: text });
  const codec = codecFor('AVRO', text);
  const base = motorsCase(topic, 7);
  const messages = base.messages
    .filter((m) => m.value !== null && m.value.toString().endsWith('}') && JSON.parse(m.value.toString()).motor !== undefined)
    .map((m) => {
      const r = JSON.parse(m.value!.toString());
      return { ...m, value: frame(id, codec.encode(r)) };
    });
  // A record cut short: read() and the app both refuse it with the same reason.
  const cut = messages[5].value!.subarray(0, 12);
  messages.push({ partition: keyPartition(Buffer.from('M001'), base.partitions), key: Buffer.from('M001'), value: cut });
  const r = await runCase(rig, { ...base, messages, env: { OUTPUT_FORMAT: 'avro', TOP_FEATURES: '3' } });
  console.log(`motors-avro: ${JSON.stringify(r)}`);
  assert.is(r.records, messages.length);
  assert.is(r.scored, messages.length - 1);
  assert.is(r.deadLettered, 1);
  assert.match(Object.keys(r.reasons)[0], /^Avro payload/);

  // The results are Avro under <output>-value, and read() gives the JSON results' columns.
  const latest = await rig.kafka.schemaRegistry!.version(`${topic}-out-value`);
  assert.is(latest.schemaType, 'AVRO');
  const out = await rig.kafka.topic(`${topic}-out`).read();
  const report = readReport(out)!;
  assert.is(report.failed, 0);
  assert.equal(report.schemas?.map((s) => s.name), ['kafkalab.ScoredRecord']);
  const cols = out.columns as string[];
  for (const c of ['key', 'source.topic', 'source.partition', 'source.offset', 'source.timestamp', 'score', 'threshold', 'anomaly', 'top']) assert.ok(cols.includes(c), `${c} in ${cols.join(', ')}`);
  const first = recordsOf(out)[0];
  assert.is(first['source.topic'], topic);
  assert.is(typeof first.score, 'number');
  assert.is(JSON.parse(first.top as string).length, 3);
});

test.run();
