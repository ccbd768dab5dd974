import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startHttp } from '../../sdk/export/templates/app/src/http';
import { Metrics } from '../../sdk/export/templates/app/src/metrics';

test('/metrics speaks the Prometheus text format; /healthz follows readiness', async () => {
  const metrics = new Metrics();
  let ready = false;
  const server = await startHttp(0, metrics, { ready: () => ready, details: () => ({ joined: ready }) });
  try {
    const base = `http://127.0.0.1:${server.port}`;
    let res = await fetch(`${base}/healthz`);
    assert.is(res.status, 503);
    assert.equal(await res.json(), { status: 'not ready', joined: false });
    ready = true;
    res = await fetch(`${base}/healthz`);
    assert.is(res.status, 200);
    assert.is(((await res.json()) as { status: string }).status, 'ready');

    metrics.recordsIn.inc(10);
    metrics.dlq.inc(2, { reason: 'invalid_json' });
    metrics.batchSeconds.observe(0.02);
    metrics.batchSeconds.observe(3);
    metrics.lag.set(42, { topic: 'car-sensors', partition: 1 });
    res = await fetch(`${base}/metrics`);
    assert.is(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', 'text/plain; version=0.0.4');
    const text = await res.text();
    assert.match(text, '# TYPE scorer_records_in_total counter\nscorer_records_in_total 10\n');
    assert.match(text, 'scorer_dlq_total{reason="invalid_json"} 2');
    assert.match(text, 'scorer_batch_duration_seconds_bucket{le="0.025"} 1\n');
    assert.match(text, 'scorer_batch_duration_seconds_bucket{le="5"} 2\n');
    assert.match(text, 'scorer_batch_duration_seconds_bucket{le="+Inf"} 2\nscorer_batch_duration_seconds_sum 3.02\nscorer_batch_duration_seconds_count 2');
    assert.match(text, 'scorer_consumer_lag{topic="car-sensors",partition="1"} 42');
    assert.match(text, 'scorer_records_out_total 0');
    for (const line of text.trim().split('\n')) {
      assert.ok(/^(# (HELP|TYPE) \w+ .+|\w+(\{[^}]*\})? [-+0-9.eE]+|\w+(\{[^}]*\})? \+?Inf)$/.test(line), `not exposition format: ${line}`);
    }
    assert.is((await fetch(`${base}/nope`)).status, 404);
  } finally {
    await server.close();
  }
});

test.run();
