/**
 * SendQueue on real zeromq sockets (the ones tslab uses) and as a property: nothing plain is
 * lost or reordered, the latest state of each display wins, stream text arrives whole and in
 * order. And the tslab shape check.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import * as path from 'path';
import { SendQueue } from '../../kernel/send-queue';
import { installQueuedSends, sendQueueOf, TslabShapeError } from '../../kernel/tslab-sockets';

// zeromq comes with tslab (it is not a direct dependency): load the copy tslab loads.
const zmq = require(require.resolve('zeromq', { paths: [path.dirname(require.resolve('tslab/package.json'))] }));

/**
 * A publisher and a subscriber on loopback; `received` fills as messages arrive (one receive loop).
 * Both without a high-water mark: a PUB socket drops what exceeds it (1,000 messages a side by
 * default) when the subscriber lags, as its receive loop here can on a loaded machine (19,897 of
 * 20,000 arrived once, with the CI suites running beside it); these tests are about the queue.
 */
async function pubSub(): Promise<{ pub: any; received: string[]; close(): void }> {
  const pub = new zmq.Publisher({ sendHighWaterMark: 0 });
  await pub.bind('tcp://127.0.0.1:*');
  const sub = new zmq.Subscriber({ receiveHighWaterMark: 0 });
  sub.connect(pub.lastEndpoint);
  sub.subscribe();
  const received: string[] = [];
  void (async () => {
    try {
      for await (const frames of sub) received.push((frames as Buffer[]).map(String).join('|'));
    } catch {
      /* closed */
    }
  })();
  // A publisher drops messages until the subscription has arrived.
  for (let i = 0; i < 200 && !received.length; i++) {
    await pub.send(['hello']);
    await new Promise((r) => setTimeout(r, 20));
  }
  received.length = 0;
  return { pub, received, close: () => (pub.close(), sub.close()) };
}

async function until(received: string[], last: string, timeoutMs = 20_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && received[received.length - 1] !== last) await new Promise((r) => setTimeout(r, 20));
  return received.filter((t) => t !== 'hello');
}

test('zeromq 6 refuses overlapping sends (EBUSY); through a SendQueue 20,000 sends all arrive in order', async () => {
  const { pub, received, close } = await pubSub();
  try {
    let busy: unknown;
    for (let i = 0; i < 20_000 && !busy; i++) {
      try {
        void pub.send([`raw ${i}`]).catch(() => undefined);
      } catch (err) {
        busy = err;
      }
    }
    assert.is((busy as { code?: string })?.code, 'EBUSY', 'unawaited sends hit EBUSY (the kernel killer)');
    await new Promise((r) => setTimeout(r, 500));
    received.length = 0;

    const errors: unknown[] = [];
    const q = new SendQueue((f) => pub.send(f), (e) => errors.push(e));
    for (let i = 0; i < 20_000; i++) q.push([`msg ${i}`]);
    const got = await until(received, 'msg 19999');
    assert.equal(errors, []);
    assert.is(q.stats.sent, 20_000);
    assert.is(got.length, 20_000);
    assert.ok(got.every((t, i) => t === `msg ${i}`), 'in order');
  } finally {
    close();
  }
});

test('display updates fold to the latest per key; stream text merges at the tail; a plain push releases held updates', async () => {
  const { pub, received, close } = await pubSub();
  try {
    const q = new SendQueue((f) => pub.send(f), (e) => assert.unreachable(String(e)), 10_000);
    q.push(['display a']);
    for (let i = 1; i <= 10_000; i++) q.pushLatest('a', () => [`update a ${i}`]);
    for (let i = 0; i < 3000; i++) q.pushText('out', `line ${i}\n`, (t) => [`stream ${t.split('\n').length - 1} lines`]);
    q.push(['idle']);
    const got = await until(received, 'idle');
    // While 'display a' is being sent, the 10,000 updates wait and fold into the latest one.
    assert.equal(got, ['display a', 'update a 10000', 'stream 3000 lines', 'idle']);
    assert.is(q.stats.folded, 9999 + 2999);
  } finally {
    close();
  }
});

test('a key is sent at most once per interval; the held latest state goes out when due', async () => {
  const sent: { text: string; at: number }[] = [];
  const q = new SendQueue((f) => void sent.push({ text: String(f[0]), at: Date.now() }), () => undefined, 150);
  const t0 = Date.now();
  for (let i = 0; i < 30; i++) {
    q.pushLatest('k', () => [`v${i}`]);
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, 400));
  assert.is(sent[sent.length - 1].text, 'v29', 'the latest state arrives');
  assert.ok(sent.length <= Math.ceil((sent[sent.length - 1].at - t0) / 150) + 1, `${sent.length} sends`);
  for (let i = 1; i < sent.length; i++) assert.ok(sent[i].at - sent[i - 1].at >= 140, 'spaced by the interval');
});

test('a failing send is reported, not thrown, and the next one goes out', async () => {
  const reported: string[] = [];
  const delivered: string[] = [];
  const q = new SendQueue((f) => {
    if (f[0] === 'bad') throw Object.assign(new Error('Socket is busy writing'), { code: 'EBUSY' });
    delivered.push(String(f[0]));
  }, (e) => reported.push((e as Error).message));
  q.push(['ok 1']);
  q.push(['bad']);
  q.push(['ok 2']);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(delivered, ['ok 1', 'ok 2']);
  assert.equal(reported, ['Socket is busy writing']);
});

type Op = { kind: 'plain'; id: number } | { kind: 'update'; key: string; v: number } | { kind: 'text'; key: string; text: string };

test('property: plain messages keep their order, each key ends at its latest state, stream text is exact', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.oneof(
          fc.nat(1000).map((id): Op => ({ kind: 'plain', id })),
          fc.record({ key: fc.constantFrom('a', 'b'), v: fc.nat() }).map((r): Op => ({ kind: 'update', ...r })),
          fc.record({ key: fc.constantFrom('out', 'err'), text: fc.string({ maxLength: 5 }) }).map((r): Op => ({ kind: 'text', ...r })),
        ),
        { maxLength: 60 },
      ),
      fc.boolean(),
      async (ops, slow) => {
        const sent: unknown[][] = [];
        const q = new SendQueue(async (f) => {
          sent.push(f);
          if (slow) await new Promise((r) => setImmediate(r));
        }, () => undefined, 0);
        for (const op of ops) {
          if (op.kind === 'plain') q.push(['plain', op.id]);
          else if (op.kind === 'update') q.pushLatest(op.key, () => ['update', op.key, op.v]);
          else q.pushText(op.key, op.text, (t) => ['text', op.key, t]);
        }
        for (let i = 0; i < 1000 && q.length; i++) await new Promise((r) => setImmediate(r));
        await new Promise((r) => setImmediate(r));
        assert.equal(sent.filter((f) => f[0] === 'plain').map((f) => f[1]), ops.filter((o) => o.kind === 'plain').map((o) => (o as { id: number }).id));
        for (const key of ['a', 'b']) {
          const mine = ops.filter((o) => o.kind === 'update' && o.key === key) as { v: number }[];
          const got = sent.filter((f) => f[0] === 'update' && f[1] === key);
          if (mine.length) assert.equal(got[got.length - 1][2], mine[mine.length - 1].v);
          else assert.is(got.length, 0);
        }
        for (const key of ['out', 'err']) {
          const text = ops.filter((o) => o.kind === 'text' && o.key === key).map((o) => (o as { text: string }).text).join('');
          assert.is(sent.filter((f) => f[0] === 'text' && f[1] === key).map((f) => f[2]).join(''), text);
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('installQueuedSends: tslab 1.0.22 gets queued sockets; another shape is refused with what to do', async () => {
  const jupyter = require(require.resolve('tslab/dist/jupyter.js'));
  installQueuedSends(jupyter, '1.0.22');
  const server = Object.create(jupyter.ZmqServer.prototype);
  const pub = new zmq.Publisher();
  try {
    server.iopub = pub;
    assert.ok(sendQueueOf(server.iopub), 'the socket tslab holds is queued');
    assert.is(server.iopub.closed, false, 'other members reach the socket');
  } finally {
    pub.close();
  }
  class ZmqServer {
    async init() {
      (this as Record<string, unknown>).sockets = {};
    }
  }
  assert.throws(() => installQueuedSends({ ZmqServer }, '2.0.0'), (e: Error) => e instanceof TslabShapeError && /tslab 2\.0\.0 no longer creates its iopub socket/.test(e.message) && /npm install tslab@1\.0\.22/.test(e.message));
  assert.throws(() => installQueuedSends({}, '2.0.0'), (e: Error) => e instanceof TslabShapeError);
});

test.run();
