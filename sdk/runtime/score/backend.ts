/**
 * Which TensorFlow.js backend runs the models, chosen once at run time:
 * native `tensorflow` when @tensorflow/tfjs-node is installed (never a dependency of ours: it
 * downloads libtensorflow at install time), else `wasm` (SIMD, no threads, .wasm files loaded
 * from the package's own folder so nothing is fetched), else `cpu`.
 * KAFKALAB_BACKEND=tensorflow|wasm|cpu forces one.
 */
import * as tf from '@tensorflow/tfjs';
import { dirname, join } from 'node:path';
import { KafkalabError } from '../../util/errors';
import { defaultLogger, Logger } from '../../util/log';

// Production mode: no debug checks, and no console banners from tfjs (library code stays quiet).
tf.enableProdMode();

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
const NAMES: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

let chosen: BackendName | undefined;
let initialising: Promise<BackendName> | undefined;

/** The backend models run on: the one initialised, or the one that will be on first use. */
export function backend(): BackendName {
  if (chosen) return chosen;
  const forced = forcedBackend();
  if (forced) return forced;
  if (nativeAvailable()) return 'tensorflow';
  return wasmAvailable() ? 'wasm' : 'cpu';
}

/**
 * Initialises the backend once (later calls return the same promise). Pass a name to switch
 * backends explicitly (benchmarks compare wasm and cpu in one process).
 */
export function initBackend(name?: BackendName, log: Logger = defaultLogger('ml')): Promise<BackendName> {
  if (name !== undefined) {
    initialising = activate([name], log, true);
    return initialising;
  }
  if (!initialising) {
    try {
      const forced = forcedBackend();
      initialising = activate(forced ? [forced] : NAMES, log, forced !== undefined);
    } catch (err) {
      return Promise.reject(err);
    }
  }
  return initialising;
}

function forcedBackend(): BackendName | undefined {
  const env = process.env.KAFKALAB_BACKEND?.trim().toLowerCase();
  if (!env) return undefined;
  const name = env === 'native' || env === 'node' ? 'tensorflow' : env;
  if (!NAMES.includes(name as BackendName)) {
    throw new KafkalabError(`KAFKALAB_BACKEND="${env}" is not a TensorFlow.js backend`, {
      code: 'ML_BACKEND',
      hint: `use one of ${NAMES.join(', ')}, or unset it to choose automatically`,
    });
  }
  return name as BackendName;
}

function nativeAvailable(): boolean {
  if (tf.findBackendFactory('tensorflow')) return true;
  try {
    // Registers the 'tensorflow' backend as a side effect when the real package is installed.
    // (In this repository's tree the name may alias plain tfjs for danfo's sake: check the registry.)
    require('@tensorflow/tfjs-node');
  } catch {
    return false;
  }
  return tf.findBackendFactory('tensorflow') !== null && tf.findBackendFactory('tensorflow') !== undefined;
}

function wasmAvailable(): boolean {
  try {
    require.resolve('@tensorflow/tfjs-backend-wasm');
    return true;
  } catch {
    return false;
  }
}

function prepareWasm(): boolean {
  if (!wasmAvailable()) return false;
  const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
  const dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
  // Threads need SharedArrayBuffer workers that Node's build of the module cannot start.
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  wasm.setWasmPaths(
    {
      'tfjs-backend-wasm.wasm': join(dist, 'tfjs-backend-wasm.wasm'),
      'tfjs-backend-wasm-simd.wasm': join(dist, 'tfjs-backend-wasm-simd.wasm'),
      'tfjs-backend-wasm-threaded-simd.wasm': join(dist, 'tfjs-backend-wasm-threaded-simd.wasm'),
    },
    false,
  );
  return tf.findBackendFactory('wasm') != null;
}

async function activate(candidates: readonly BackendName[], log: Logger, strict: boolean): Promise<BackendName> {
  const failures: string[] = [];
  for (const name of candidates) {
    try {
      if (name === 'tensorflow' && !nativeAvailable()) throw new Error('@tensorflow/tfjs-node is not installed');
      if (name === 'wasm' && !prepareWasm()) throw new Error('@tensorflow/tfjs-backend-wasm is not installed');
      if (!(await tf.setBackend(name))) throw new Error('initialisation failed');
      await tf.ready();
      chosen = name;
      log.debug('TensorFlow.js backend ready', { backend: name });
      return name;
    } catch (err) {
      failures.push(`${name}: ${(err as Error).message}`);
      log.debug('TensorFlow.js backend unavailable', { backend: name, error: (err as Error).message });
      if (strict) {
        throw new KafkalabError(`TensorFlow.js backend "${name}" cannot start (${(err as Error).message})`, {
          code: 'ML_BACKEND',
          hint: name === 'tensorflow' ? 'run `npm install @tensorflow/tfjs-node`, or unset KAFKALAB_BACKEND' : 'unset KAFKALAB_BACKEND to choose automatically',
          cause: err,
        });
      }
    }
  }
  throw new KafkalabError(`No TensorFlow.js backend could start (${failures.join('; ')})`, { code: 'ML_BACKEND' });
}

export { tf };
