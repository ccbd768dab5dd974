// Reading a compacted topic across its gaps with clients we did not write: kcat (librdkafka),
// confluent-kafka and kafka-python must each read exactly the surviving records, at their own
// offsets, and reach the end. The data leaves a trailing gap in every batch (the cleaner keeps a
// batch's lastOffsetDelta, as Kafka does) and gaps across segment ends.
import { test as uvuTest } from 'uvu';
import * as assert from 'uvu/assert';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type Broker } from '../../sdk/broker';
import { missingCommand, missingPython, needing, skip } from '../helpers/skip';
import { runKcat, runPython, succeeded } from './helpers';

const test = needing(uvuTest, missingCommand('kcat', 'apt-get install -y kcat', ['-V']));
const TOPIC = 'compacted-gaps';
const BATCHES = 40;

let broker: Broker;
let bootstrap: string;
/** "offset key value" of every record that must survive, in offset order. */
let survivors: string[] = [];

test.before(async () => {
  broker = await startBroker({ port: 0, cleanerIntervalMs: 50 });
  bootstrap = `127.0.0.1:${broker.port}`;
  const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic: TOPIC, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }, { name: 'segment.bytes', value: '1500' }, { name: 'min.cleanable.dirty.ratio', value: '0.01' }] }],
  });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  const last = new Map<string, string>();
  let offset = 0;
  const at = new Map<string, number>();
  for (let b = 0; b < BATCHES; b++) {
    // The first record of each batch is unique and survives; the hot keys after it are rewritten by every batch.
    const messages = [{ key: `once-${b}`, value: `v${b}` }, ...Array.from({ length: 8 }, (_, i) => ({ key: `hot-${i}`, value: `v${b}.${i}` }))];
    await producer.send({ topic: TOPIC, messages });
    for (const m of messages) {
      last.set(m.key, m.value);
      at.set(m.key, offset++);
    }
  }
  await producer.disconnect();
  survivors = [...last].map(([k, v]) => `${at.get(k)} ${k} ${v}`).sort((a, b) => Number(a.split(' ')[0]) - Number(b.split(' ')[0]));
  // Wait (bounded) until the background cleaner has compacted everything but the active segment.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const out = succeeded(await runKcat(bootstrap, ['-C', '-t', TOPIC, '-e', '-q', '-f', '%o\n']), 'kcat');
    if (out.trim().split('\n').length < BATCHES * 9 / 3) break;
    if (Date.now() > deadline) throw new Error('the topic was not compacted within 30 s');
    await new Promise((r) => setTimeout(r, 200));
  }
});
test.after(async () => {
  await broker?.stop();
});

/** Records a client read, reduced to the last of each key (the active segment is not compacted). */
function lastOfEach(lines: string[]): string[] {
  const m = new Map<string, string>();
  for (const l of lines) m.set(l.split(' ')[1], l);
  return [...m.values()].sort((a, b) => Number(a.split(' ')[0]) - Number(b.split(' ')[0]));
}

test('kcat reads the survivors at their offsets and reaches the end', async () => {
  const out = succeeded(await runKcat(bootstrap, ['-C', '-t', TOPIC, '-e', '-q', '-f', '%o %k %s\n'], '', 30_000), 'kcat -C');
  const lines = out.trim().split('\n');
  assert.ok(lines.length < BATCHES * 9, 'compacted');
  assert.equal(lastOfEach(lines), survivors);
});

test('confluent-kafka reads the survivors to the end of the partition', async () => {
  const missing = missingPython('confluent_kafka', 'apt-get install -y python3-confluent-kafka');
  if (missing) return skip(missing);
  const r = succeeded(
    await runPython(bootstrap, `
import os
from confluent_kafka import Consumer, TopicPartition
c = Consumer({'bootstrap.servers': os.environ['BOOTSTRAP'], 'group.id': 'gaps-ck', 'enable.partition.eof': True, 'auto.offset.reset': 'earliest'})
c.assign([TopicPartition('${TOPIC}', 0, 0)])
while True:
    m = c.poll(10)
    if m is None:
        print('TIMEOUT'); break
    if m.error():
        print('EOF' if m.error().code() == -191 else 'ERR %s' % m.error()); break
    print('REC %d %s %s' % (m.offset(), m.key().decode(), m.value().decode()))
c.close()
`),
    'confluent-kafka',
  );
  const lines = r.trim().split('\n');
  assert.is(lines[lines.length - 1], 'EOF', r);
  assert.equal(lastOfEach(lines.filter((l) => l.startsWith('REC ')).map((l) => l.slice(4))), survivors);
});

test('kafka-python reads the survivors and its position reaches the end offset', async () => {
  const missing = missingPython('kafka', 'apt-get install -y python3-kafka');
  if (missing) return skip(missing);
  const r = succeeded(
    await runPython(bootstrap, `
import os
from kafka import KafkaConsumer, TopicPartition
tp = TopicPartition('${TOPIC}', 0)
c = KafkaConsumer(bootstrap_servers=os.environ['BOOTSTRAP'], auto_offset_reset='earliest', enable_auto_commit=False, consumer_timeout_ms=5000)
c.assign([tp])
c.seek_to_beginning()
for m in c:
    print('REC %d %s %s' % (m.offset, m.key.decode(), m.value.decode()))
print('POSITION', c.position(tp), 'END', c.end_offsets([tp])[tp])
c.close()
`),
    'kafka-python',
  );
  const lines = r.trim().split('\n');
  const [, position, , end] = lines[lines.length - 1].split(' ');
  assert.is(position, end, `kafka-python stopped at ${position} of ${end}`);
  assert.equal(lastOfEach(lines.filter((l) => l.startsWith('REC ')).map((l) => l.slice(4))), survivors);
});

test.run();
