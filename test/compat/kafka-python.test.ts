// kafka-python 2.0.2 (Debian's python3-kafka, under /usr/bin/python3) against the embedded broker.
import { test as uvuTest } from 'uvu';
import { missingPython, needing } from '../helpers/skip';
import * as assert from 'uvu/assert';
import { startBroker, type Broker } from '../../sdk/broker';
import { runPython } from './helpers';

const test = needing(uvuTest, missingPython('kafka', 'apt-get install -y python3-kafka'));

let broker: Broker;
test.before(async () => {
  broker = await startBroker({ port: 0, partitions: 2 });
});
test.after(async () => {
  await broker.stop();
});

const python = (script: string, timeoutMs = 60_000) => runPython(`127.0.0.1:${broker.port}`, script, timeoutMs);

test('kafka-python produces with acks=all and reads everything back with an assigned consumer', async () => {
  const r = await python(`
import os, json
from kafka import KafkaProducer, KafkaConsumer, TopicPartition
bs = os.environ['BOOTSTRAP']
p = KafkaProducer(bootstrap_servers=bs, acks='all', key_serializer=str.encode, value_serializer=lambda v: json.dumps(v).encode())
futures = [p.send('py-data', key='key-%d' % (i % 5), value={'i': i}) for i in range(500)]
p.flush()
metas = [f.get(timeout=10) for f in futures]
print('ACKED', len(metas), sorted(set(m.partition for m in metas)))
c = KafkaConsumer(bootstrap_servers=bs, auto_offset_reset='earliest', enable_auto_commit=False, consumer_timeout_ms=3000)
parts = [TopicPartition('py-data', p) for p in sorted(c.partitions_for_topic('py-data'))]
c.assign(parts)
c.seek_to_beginning()
seen = [json.loads(m.value)['i'] for m in c]
print('READ', len(seen), len(set(seen)), min(seen), max(seen))
print('END', {tp.partition: off for tp, off in c.end_offsets(parts).items()})
c.close(); p.close()
`);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /ACKED 500 \[0, 1\]/, r.stdout);
  assert.match(r.stdout, /READ 500 500 0 499/);
  const end = /END (\{.*\})/.exec(r.stdout)![1];
  const offs = Object.values(JSON.parse(end.replace(/'/g, '"').replace(/(\d+):/g, '"$1":')) as Record<string, number>);
  assert.is(offs.reduce((a, b) => a + b, 0), 500);
});

test('kafka-python offsets_for_times uses the broker time index', async () => {
  const r = await python(`
import os
from kafka import KafkaProducer, KafkaConsumer, TopicPartition
bs = os.environ['BOOTSTRAP']
p = KafkaProducer(bootstrap_servers=bs, acks=1)
base = 1700000000000
for i in range(10):
    p.send('py-times', value=b'x', partition=0, timestamp_ms=base + i * 1000)
p.flush()
c = KafkaConsumer(bootstrap_servers=bs)
tp = TopicPartition('py-times', 0)
r = c.offsets_for_times({tp: base + 4500})[tp]
print('AT', r.offset, r.timestamp)
print('LATE', c.offsets_for_times({tp: base + 99000})[tp])
c.close(); p.close()
`);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /AT 5 1700000005000/);
  assert.match(r.stdout, /LATE None/);
});

test('kafka-python consumer group: subscribe, read all, commit; a restarted member resumes after the commit', async () => {
  const r = await python(`
import os
from kafka import KafkaProducer, KafkaConsumer
bs = os.environ['BOOTSTRAP']
p = KafkaProducer(bootstrap_servers=bs, acks='all')
for i in range(200):
    p.send('py-group', value=b'%d' % i)
p.flush()
def member():
    return KafkaConsumer('py-group', bootstrap_servers=bs, group_id='py-g', auto_offset_reset='earliest', enable_auto_commit=False, consumer_timeout_ms=4000)
c = member()
got = sorted(int(m.value) for m in c)
c.commit()
print('FIRST', len(got), got[0], got[-1])
c.close()
for i in range(200, 230):
    p.send('py-group', value=b'%d' % i)
p.flush()
c = member()
got = sorted(int(m.value) for m in c)
print('SECOND', len(got), got[0] if got else None, got[-1] if got else None)
c.close(); p.close()
`, 90_000);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /FIRST 200 0 199/, r.stdout);
  assert.match(r.stdout, /SECOND 30 200 229/, r.stdout);
});

test.run();
