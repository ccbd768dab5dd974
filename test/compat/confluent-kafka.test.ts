// confluent-kafka-python (librdkafka 2.0.2) against the embedded broker: admin, idempotent
// producer with delivery reports, consumer group, offsets_for_times.
import { test as uvuTest } from 'uvu';
import { missingPython, needing } from '../helpers/skip';
import * as assert from 'uvu/assert';
import { startBroker, type Broker } from '../../sdk/broker';
import { runPython } from './helpers';

const test = needing(uvuTest, missingPython('confluent_kafka', 'apt-get install -y python3-confluent-kafka'));

let broker: Broker;
test.before(async () => {
  broker = await startBroker({ port: 0 });
});
test.after(async () => {
  await broker.stop();
});

const python = (script: string, timeoutMs = 90_000) => runPython(`127.0.0.1:${broker.port}`, script, timeoutMs);

test('confluent-kafka: AdminClient, idempotent producer, consumer group, offsets_for_times', async () => {
  const r = await python(`
import os, time
from confluent_kafka import Producer, Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
bs = os.environ['BOOTSTRAP']
admin = AdminClient({'bootstrap.servers': bs})
for t, f in admin.create_topics([NewTopic('ck-data', num_partitions=4, replication_factor=1)]).items():
    f.result(10)
dup = admin.create_topics([NewTopic('ck-data', num_partitions=4, replication_factor=1)])['ck-data']
try:
    dup.result(10); print('DUP no error')
except Exception as e:
    print('DUP', e.args[0].name())
print('PARTS', len(admin.list_topics(timeout=10).topics['ck-data'].partitions))
acked = []
p = Producer({'bootstrap.servers': bs, 'enable.idempotence': True, 'linger.ms': 5})
base = 1700000000000
for i in range(1000):
    p.produce('ck-data', key=b'k%d' % (i % 13), value=b'v%d' % i, timestamp=base + i,
              on_delivery=lambda err, msg: acked.append(msg.offset()) if err is None else print('ERR', err))
print('UNFLUSHED', p.flush(15))
print('ACKED', len(acked))
c = Consumer({'bootstrap.servers': bs, 'group.id': 'ck-group', 'auto.offset.reset': 'earliest', 'enable.auto.commit': False})
c.subscribe(['ck-data'])
seen = set()
deadline = time.time() + 30
while len(seen) < 1000 and time.time() < deadline:
    m = c.poll(0.5)
    if m is None or m.error():
        continue
    seen.add(m.value())
c.commit(asynchronous=False)
print('CONSUMED', len(seen))
committed = c.committed([TopicPartition('ck-data', i) for i in range(4)], timeout=10)
print('COMMITTED', sum(tp.offset for tp in committed))
res = c.offsets_for_times([TopicPartition('ck-data', i, base + 995) for i in range(4)], timeout=10)
print('LATER', sum(c.get_watermark_offsets(TopicPartition('ck-data', tp.partition), timeout=10)[1] - tp.offset for tp in res if tp.offset >= 0))
c.close()
for t, f in admin.delete_topics(['ck-data']).items():
    f.result(10)
print('AFTER DELETE', 'ck-data' in admin.list_topics(timeout=10).topics)
`);
  assert.is(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /DUP TOPIC_ALREADY_EXISTS/, r.stdout);
  assert.match(r.stdout, /PARTS 4/);
  assert.match(r.stdout, /UNFLUSHED 0/);
  assert.match(r.stdout, /ACKED 1000/);
  assert.match(r.stdout, /CONSUMED 1000/);
  assert.match(r.stdout, /COMMITTED 1000/);
  assert.not.match(r.stdout, /ERR /);
  // From the first offsets at or after base+995 to the ends: exactly the last 5 records.
  assert.match(r.stdout, /LATER 5\n/, r.stdout);
  assert.match(r.stdout, /AFTER DELETE False/);
});

test.run();
