/**
 * Training from a stream of micro-batches, the way TensorFlow I/O trains from Kafka: the
 * scaler is fitted on a warm-up of the first rows, a validation sample is held out as the
 * stream goes (each row with probability `validationSplit`, kept in a uniform reservoir), and
 * every micro-batch is trained on as it arrives. Bounded by rows, time, a signal, early
 * stopping or the end of the stream.
 *
 * Delivery: from a kafkalab Stream in a consumer group, nothing is committed while training
 * runs (a model that dies with its process learned nothing durable); when fit returns, the rows
 * the model was trained on or held out for validation are committed, up to the first row it
 * took but did not train on (a last partial batch left untrained by a signal or early stopping).
 */
import { KafkalabError } from '../util/errors';
import { columnsOf, rowCount, TableLike } from './input';
import { FeatureState, featureMatrix, PipelineSpec, scaleInPlace } from '../runtime';
import { EarlyStopper, History, meanError, Progress, shuffleRows, type Trainer } from './train';
import { mulberry32 } from '../util/prng';
import type { tf } from '../runtime/score/backend';

export interface StreamFitOptions {
  batchSize: number;
  /** Passes over each micro-batch (default 1). */
  epochs: number;
  validationSplit: number;
  /** Rows the scaler is fitted on before training starts (default 2000). */
  warmupRows: number;
  /** Capacity of the validation reservoir (default 5000 rows). */
  validationRows: number;
  /** Training rows between two evaluations, each reported as an "epoch" (default 20 x batchSize). */
  evaluateEvery: number;
  maxRows: number;
  maxMs: number;
  signal?: AbortSignal;
  seed: number;
  onEpoch?: (p: Progress) => unknown;
  onBatch?: (p: Progress) => unknown;
}

/** What the Autoencoder provides once the warm-up rows are in. */
export interface StreamModelSetup {
  spec: PipelineSpec;
  model: tf.LayersModel;
  trainer: Trainer;
  stopper: EarlyStopper;
}

export interface StreamFitResult {
  history: History;
  /** The validation reservoir (scaled features); training rows when validationSplit is 0. */
  validation: Float32Array;
}

type Chunk = { columns: Record<string, ArrayLike<unknown>>; rows: number; /** stream row number of its first row */ start: number };

/** A kafkalab Stream: frames whose commits wait for the caller's acknowledgement. */
interface Consumable {
  consume(): AsyncIterator<TableLike> & { ack(rows: number): void; return(): Promise<unknown> };
}

export async function fitStream(
  stream: AsyncIterable<TableLike>,
  needed: (first: TableLike) => { columns: string[]; optional: string[] },
  setup: (warmup: Chunk[]) => StreamModelSetup,
  o: StreamFitOptions,
): Promise<StreamFitResult> {
  const started = Date.now();
  const random = mulberry32(o.seed ^ 0x5eed);
  let cols: { columns: string[]; optional: string[] } | undefined;
  let warm: Chunk[] = [];
  let warmRows = 0;
  let ready: (StreamModelSetup & { state: FeatureState; nf: number }) | undefined;

  let reservoir = new Float32Array(0);
  let heldOut = 0; // validation rows seen (the reservoir keeps a uniform sample of them)
  let pending = new Float32Array(0);
  /** Stream row number of each pending (taken, not yet trained) row. */
  let pendingIdx: number[] = [];
  let consumed = 0;
  let lossSum = 0;
  let lossRows = 0;
  let sinceEval = 0;
  let epoch = 0;
  const history: History = { loss: [], valLoss: [], epochs: 0, rowsPerSec: 0, rows: 0, elapsedMs: 0, bestEpoch: 0, stopReason: 'end' };
  let stop: History['stopReason'] | undefined;

  const progress = (extra: Partial<Progress>): Progress => ({
    epoch,
    epochs: Infinity,
    loss: lossRows ? lossSum / lossRows : NaN,
    rows: ready ? ready.trainer.rows : 0,
    rowsPerSec: ready ? ready.trainer.rowsPerSec : 0,
    elapsed: Date.now() - started,
    ...extra,
  });

  const evaluate = async () => {
    if (!ready || !lossRows) return;
    epoch++;
    const val = reservoir.subarray(0, Math.min(heldOut, o.validationRows) * ready.nf);
    const valLoss = val.length && o.validationSplit > 0 ? meanError(ready.model, val, ready.nf) : NaN;
    const loss = lossSum / lossRows;
    history.loss.push(loss);
    history.valLoss.push(valLoss);
    await o.onEpoch?.(progress({ loss, valLoss }));
    const monitored = Number.isNaN(valLoss) ? loss : valLoss;
    if (ready.stopper.update(epoch, monitored)) stop = 'earlyStopping';
    lossSum = 0;
    lossRows = 0;
    sinceEval = 0;
  };

  const train = async ({ m, idx }: { m: Float32Array; idx: number[] }, final: boolean) => {
    const r = ready!;
    const f = r.nf;
    // Carry rows that do not fill a whole batch over to the next micro-batch.
    const all = pending.length ? concat(pending, m) : m;
    const allIdx = pendingIdx.length ? pendingIdx.concat(idx) : idx;
    const usable = final ? all.length / f : Math.floor(all.length / f / o.batchSize) * o.batchSize;
    const batchRows = all.subarray(0, usable * f);
    pending = all.slice(usable * f);
    pendingIdx = allIdx.slice(usable);
    if (!usable) return;
    // A micro-batch is a slice of time (a few cars' last seconds): shuffled, so that no
    // mini-batch is one car's trip.
    const shuffled = new Float32Array(batchRows.length);
    for (let p = 0; p < o.epochs && !interrupted(); p++) {
      shuffleRows(batchRows, shuffled, f, random);
      const onBatch = o.onBatch ? (b: number, loss: number) => void o.onBatch!(progress({ batch: b, loss })) : undefined;
      const { lossSum: s, rows } = await r.trainer.pass(shuffled, o.batchSize, onBatch, interrupted);
      if (p === o.epochs - 1) {
        lossSum += s;
        lossRows += rows;
        sinceEval += rows;
      }
    }
    if (sinceEval >= o.evaluateEvery) await evaluate();
  };

  /** Whether training must stop now; reaching maxRows still trains the rows already taken. */
  const interrupted = (): boolean => {
    if (stop && stop !== 'maxRows') return true;
    if (o.signal?.aborted) stop = 'signal';
    else if (Date.now() - started >= o.maxMs) stop = 'maxMs';
    return stop !== undefined && stop !== 'maxRows';
  };

  /** Whether to stop taking micro-batches. */
  const checkStop = (): History['stopReason'] | undefined => {
    if (stop) return stop;
    if (o.signal?.aborted) stop = 'signal';
    else if (consumed >= o.maxRows) stop = 'maxRows';
    else if (Date.now() - started >= o.maxMs) stop = 'maxMs';
    return stop;
  };

  /** Features for a chunk, split into held-out (reservoir) and training rows (with their stream row numbers). */
  const split = (chunk: Chunk): { m: Float32Array; idx: number[] } => {
    const r = ready!;
    const m = scaleInPlace(r.spec.scaler, featureMatrix(r.spec, chunk.columns, chunk.rows, r.state));
    const sample = (row: Float32Array) => {
      heldOut++;
      if (heldOut <= o.validationRows) reservoir.set(row, (heldOut - 1) * r.nf);
      else {
        const j = Math.floor(random() * heldOut);
        if (j < o.validationRows) reservoir.set(row, j * r.nf);
      }
    };
    if (o.validationSplit <= 0) {
      // No held-out rows: the reservoir samples training rows, for the threshold only.
      for (let i = 0; i < chunk.rows; i++) sample(m.subarray(i * r.nf, (i + 1) * r.nf));
      return { m, idx: Array.from({ length: chunk.rows }, (_, i) => chunk.start + i) };
    }
    const keep = new Float32Array(m.length);
    const idx: number[] = [];
    for (let i = 0; i < chunk.rows; i++) {
      const row = m.subarray(i * r.nf, (i + 1) * r.nf);
      if (random() < o.validationSplit) {
        sample(row);
      } else {
        keep.set(row, idx.length * r.nf);
        idx.push(chunk.start + i);
      }
    }
    return { m: keep.subarray(0, idx.length * r.nf), idx };
  };

  const begin = async () => {
    const s = setup(warm);
    const nf = s.spec.features.length;
    ready = { ...s, state: new FeatureState(s.spec), nf };
    reservoir = new Float32Array(o.validationRows * nf);
    const chunks = warm;
    warm = [];
    for (const c of chunks) await train(split(c), false);
  };

  const consumable = typeof (stream as Partial<Consumable>).consume === 'function' ? (stream as unknown as Consumable).consume() : undefined;
  const it = consumable ?? stream[Symbol.asyncIterator]();
  let pendingRead = false;
  try {
    for (;;) {
      const next = await nextWithin(it, started + o.maxMs - Date.now(), o.signal);
      if (next === 'maxMs' || next === 'signal') {
        // A quiet topic: stop waiting for it.
        stop = next;
        pendingRead = true;
        break;
      }
      if (next.done) break;
      const batch = next.value;
      const n = rowCount(batch);
      if (!n) {
        if (checkStop()) break;
        continue;
      }
      cols ??= needed(batch);
      let chunk: Chunk = { columns: columnsOf(batch, cols.columns, cols.optional).columns, rows: n, start: consumed };
      if (consumed + n > o.maxRows) chunk = sliceChunk(chunk, o.maxRows - consumed);
      consumed += chunk.rows;
      if (!ready) {
        warm.push(chunk);
        warmRows += chunk.rows;
        if (warmRows >= o.warmupRows) await begin();
      } else {
        await train(split(chunk), false);
      }
      if (checkStop()) break;
    }
    if (!ready && warmRows > 0) await begin();
    if (!ready) {
      throw new KafkalabError('The stream ended before any rows arrived', {
        code: 'NO_DATA',
        hint: "read from 'earliest', or produce data to the topic first",
      });
    }
    if (!stop || stop === 'maxRows' || stop === 'maxMs' || stop === 'signal') {
      if (pending.length && stop !== 'signal') await train({ m: new Float32Array(0), idx: [] }, true);
      if (sinceEval > 0 || epoch === 0) await evaluate();
    }
    // Trained: every row taken so far was trained on or held out, but those still pending.
    consumable?.ack(pendingIdx.length ? pendingIdx[0] : consumed);
  } finally {
    await release(stream, it, pendingRead);
  }
  history.stopReason = stop ?? 'end';
  history.epochs = epoch;
  history.bestEpoch = ready.stopper.finish(epoch);
  history.rows = ready.trainer.rows;
  history.rowsPerSec = ready.trainer.rowsPerSec;
  history.elapsedMs = Date.now() - started;
  return { history, validation: reservoir.slice(0, Math.min(heldOut, o.validationRows) * ready.nf) };
}

type Next<T> = IteratorResult<T> | 'maxMs' | 'signal';

/** The iterator's next value, or which limit came first while waiting for it. */
function nextWithin<T>(it: AsyncIterator<T>, ms: number, signal: AbortSignal | undefined): Promise<Next<T>> {
  if (signal?.aborted) return Promise.resolve('signal');
  if (ms <= 0) return Promise.resolve('maxMs');
  if (!Number.isFinite(ms) && !signal) return it.next();
  return new Promise<Next<T>>((resolve, reject) => {
    const timer = Number.isFinite(ms) ? setTimeout(() => settle('maxMs'), ms) : undefined;
    const onAbort = () => settle('signal');
    function settle(v: Next<T>) {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(v);
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    it.next().then(settle, (err) => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      reject(err);
    });
  });
}

/**
 * Lets go of the source. With a read still pending, a plain iterator's return() would wait for
 * it, so a kafkalab Stream is stopped (which ends the pending read and releases the consumer);
 * any other iterator is asked to return without waiting.
 */
async function release<T>(stream: AsyncIterable<T>, it: AsyncIterator<T>, pendingRead: boolean): Promise<void> {
  const stoppable = stream as { stop?: () => Promise<void> };
  if (pendingRead && typeof stoppable.stop === 'function') await stoppable.stop();
  if (pendingRead && typeof stoppable.stop !== 'function') {
    it.return?.()?.catch(() => undefined);
    return;
  }
  await it.return?.();
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function sliceChunk(c: Chunk, rows: number): Chunk {
  const columns: Record<string, ArrayLike<unknown>> = {};
  for (const [k, v] of Object.entries(c.columns)) columns[k] = Array.prototype.slice.call(v, 0, rows) as unknown[];
  return { columns, rows, start: c.start };
}
