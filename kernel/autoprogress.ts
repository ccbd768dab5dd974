/**
 * Keras-style training feedback in the kernel: `await ae.fit(df)` without progress callbacks
 * shows the progress bar and live loss curve of `trainingProgress()` by itself. Callbacks the
 * user passes (or `KAFKALAB_PROGRESS=0`) turn it off. Interrupting the cell stops the training
 * (through fit's `signal`), with or without progress. Applied to the Autoencoder class when its
 * module is first loaded, so starting the kernel does not load TensorFlow.js.
 */
import * as path from 'path';
import Module = require('module');
import { inKernel, kernelBridge, trainingProgress } from './runtime';

type Fit = (data: unknown, opts?: Record<string, unknown>) => Promise<unknown>;
const PATCHED = Symbol.for('kafkalab.autoprogress');

export function installAutoProgress(root: string): void {
  const files = [path.join(root, 'dist', 'sdk', 'ml', 'autoencoder.js'), path.join(root, 'sdk', 'ml', 'autoencoder.ts')];
  const M = Module as unknown as { _load: (...args: unknown[]) => unknown; _cache: Record<string, { exports: Record<string, unknown> } | undefined> };
  const originalLoad = M._load;
  let done = false;
  M._load = function (this: unknown, ...args: unknown[]) {
    const exports = originalLoad.apply(this, args);
    if (!done) {
      for (const f of files) {
        const cls = M._cache[f]?.exports?.Autoencoder as { prototype: { fit: Fit } } | undefined;
        if (cls?.prototype?.fit) {
          patchFit(cls.prototype);
          done = true;
        }
      }
    }
    return exports;
  };
}

export function patchFit(proto: { fit: Fit; [PATCHED]?: boolean }): void {
  if (proto[PATCHED]) return;
  proto[PATCHED] = true;
  const fit = proto.fit;
  proto.fit = function (this: unknown, data: unknown, opts: Record<string, unknown> = {}) {
    if (!inKernel()) return fit.call(this, data, opts);
    // Interrupting the cell stops the training too (else it goes on in the background, and its
    // progress lands in whatever cell runs next).
    const stop = new AbortController();
    const unsubscribe = kernelBridge()?.onInterrupt(() => stop.abort());
    const user = opts.signal as AbortSignal | undefined;
    const signal = user ? AbortSignal.any([user, stop.signal]) : stop.signal;
    const withProgress = !(opts.onEpoch || opts.onBatch || process.env.KAFKALAB_PROGRESS === '0');
    const p = withProgress ? trainingProgress({ epochs: typeof opts.epochs === 'number' ? opts.epochs : undefined }) : undefined;
    const userDone = opts.done as (() => unknown) | undefined;
    const run = fit.call(this, data, {
      ...opts,
      signal,
      ...(p ? { onEpoch: p.onEpoch, onBatch: p.onBatch } : {}),
      done: () => {
        p?.done();
        return userDone?.();
      },
    });
    // An interrupted or failed fit never calls done: the final chart is drawn here then.
    return run.finally(() => {
      unsubscribe?.();
      p?.done();
    });
  };
}
