/**
 * Start-up costs a notebook user should not wait for.
 *
 * - `enableCompileCache()`: Node 22.1+ can keep the V8 bytecode of every module it compiles in a
 *   cache folder, so the second and later processes skip compiling kafkalab, kafkajs,
 *   TensorFlow.js and danfo (mathjs alone is ~1 s to compile). A no-op on Node 20, which lacks it.
 * - `warmInBackground()`: loads what the first cells will need (the package root, danfo and the
 *   TensorFlow.js it brings) while the kernel sits idle waiting for the first cell, so the first
 *   `read()` does not pay ~1-2 s of module loading. `require` is synchronous: a cell arriving
 *   during the warm-up waits for it, which costs no more than loading the same modules in the cell.
 */
import * as os from 'os';
import * as path from 'path';

/** Turns on Node's on-disk compile cache when this Node has one; returns the folder, or undefined. */
export function enableCompileCache(dir = process.env.NODE_COMPILE_CACHE ?? path.join(os.tmpdir(), 'kafkalab-compile-cache')): string | undefined {
  const mod = require('module') as { enableCompileCache?: (dir?: string) => { status: number; directory?: string } };
  if (typeof mod.enableCompileCache !== 'function') return undefined;
  try {
    const r = mod.enableCompileCache(dir);
    return r.directory;
  } catch {
    return undefined; // a read-only or missing temp folder: run without the cache
  }
}

/**
 * Loads `modules` one per event-loop turn after `delayMs`, ignoring failures (the cell that needs
 * one reports it). The promise settles when all were tried; nobody has to wait for it.
 */
export function warmInBackground(modules: readonly (() => unknown)[], delayMs = 100): Promise<void> {
  return new Promise((resolve) => {
    let i = 0;
    const next = (): void => {
      if (i >= modules.length) return resolve();
      try {
        modules[i++]();
      } catch {
        // the cell that imports it will show the error
      }
      setTimeout(next, 0).unref();
    };
    setTimeout(next, delayMs).unref();
  });
}
