import { test as uvuTest } from 'uvu';
import { missingPython, needing } from '../helpers/skip';
import * as assert from 'uvu/assert';
import type { Broker } from '../../sdk/broker';
import type { KafkaConnection } from '../../sdk/kafka/connect';
import { startEmbeddedKafka, stopEmbeddedKafka } from '../kafka/helpers';
import { runPython, succeeded } from './helpers';
import { recordsOf } from '../../sdk/frame/dataframe';

const test = needing(uvuTest, missingPython('kafka', 'apt-get install -y python3-kafka'));

let broker: Broker;
let kafka: KafkaConnection;

test.before(async () => void ({ broker, kafka } = await startEmbeddedKafka()));
test.after(() => stopEmbeddedKafka({ broker, kafka }));

/** kafka-python from Debian, under /usr/bin/python3; the bootstrap address is sys.argv[1]. */
async function python(code: string): Promise<string> {
  return succeeded(await runPython(`127.0.0.1:${broker.port}`, code, 60_000), 'python');
}

const PRODUCE = String.raw`
import json, sys
from kafka import KafkaProducer
p = KafkaProducer(bootstrap_servers=sys.argv[1])
base = 1763596800000  # 2025-11-20T00:00:00Z
for i in range(30):
    p.send('py-cars', key=('car-%d' % (i % 3)).encode(), timestamp_ms=base + i * 1000,
           headers=[('source', b'kafka-python'), ('seq', str(i).encode())],
           value=json.dumps({'seq': i, 'temp': 80 + i / 10, 'ok': i % 2 == 0, 'tag': None if i % 5 else 'five'}).encode())
for i in range(3):
    p.send('py-text', value=('line %d' % i).encode())
p.send('py-text', value=b'\xff\xfe raw')
p.flush()
p.close()
`;

test('JSON records written by kafka-python: keys, headers, timestamps, nulls, booleans', async () => {
  await kafka.createTopic('py-cars', { partitions: 3 });
  await kafka.createTopic('py-text', { partitions: 1 });
  await python(PRODUCE);
  const base = Date.parse('2025-11-20T00:00:00Z');
  const df = await kafka.topic('py-cars').read({ headers: true, from: new Date(base + 10_000), to: new Date(base + 20_000) });
  const rows = recordsOf(df).sort((a, b) => (a.seq as number) - (b.seq as number));
  assert.equal(rows.map((r) => r.seq), [10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
  assert.equal(df.dtypes.slice(5), ['int32', 'float32', 'boolean', 'string']);
  for (const r of rows) {
    const i = r.seq as number;
    assert.is(r._key, `car-${i % 3}`);
    assert.is(r._timestamp, base + i * 1000);
    assert.is(r.temp, 80 + i / 10);
    assert.is(r.ok, i % 2 === 0);
    assert.is(r.tag, i % 5 ? null : 'five');
    assert.equal(JSON.parse(r._headers as string), { source: 'kafka-python', seq: String(i) });
  }
  const text = recordsOf(await kafka.topic('py-text').read({ format: 'string' }));
  assert.equal(text.slice(0, 3).map((r) => r.value), ['line 0', 'line 1', 'line 2']);
  const bytes = recordsOf(await kafka.topic('py-text').read({ format: 'bytes', from: 3 }));
  assert.equal(Buffer.from(bytes[0].value as string, 'base64'), Buffer.from([0xff, 0xfe, 0x20, 0x72, 0x61, 0x77]));
});

test.run();
