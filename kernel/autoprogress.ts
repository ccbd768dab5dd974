/**
 * Keras-style training feedback in the kernel: `await ae.fit(df)` without progress callbacks
 * shows the progress bar and live loss curve of `trainingProgress()` by itself. Callbacks the
 * user passes (or `KAFKALAB_PROGRESS=0`) turn it off. Applied to the Autoencoder class when its
 * module is first loaded, so starting the kernel does not load TensorFlow.js.
 */
import * as path from 'path';
import Module = require('module');
import { inKernel, trainingProgress } from './runtime';

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
    if (!inKernel() || opts.onEpoch || opts.onBatch || process.env.KAFKALAB_PROGRESS === '0') return fit.call(this, data, opts);
    const epochs = typeof opts.epochs === 'number' ? opts.epochs : undefined;
    const p = trainingProgress({ epochs });
    const userDone = opts.done as (() => unknown) | undefined;
    return fit.call(this, data, {
      ...opts,
      onEpoch: p.onEpoch,
      onBatch: p.onBatch,
      done: () => {
        p.done();
        return userDone?.();
      },
    });
  };
}
