/**
 * The process Jupyter starts for the `kafkalab` kernel: `node dist/kernel/launcher.js
 * --config-path {connection_file}`. It is tslab's kernel (TypeScript cells, completion,
 * inspection, interrupts) with kafkalab's additions installed first:
 * - `kafkalab` (and its dependencies) importable from any notebook folder (see resolve.ts);
 * - rich display of what a cell evaluates to or logs (tslab prints both through `console.log`);
 * - execution counts and `error` messages for failing cells (protocol.ts), KafkalabErrors as
 *   one clean line;
 * - interrupts also stop live views, so their Kafka consumers are released;
 * - every ZeroMQ send awaits the previous one, display updates fold (tslab-sockets.ts).
 */
import * as path from 'path';
import { format } from 'util';
import { formatError, toMimeBundle } from './display';
import { installAutoProgress } from './autoprogress';
import { captureConsoleError, installExecuteProtocol, isCellValuePrint, publishCellResult } from './protocol';
import { installRuntimeResolver, installTypeResolver, packageRoot } from './resolve';
import { KernelBridge, setKernelBridge, watch } from './runtime';
import { installQueuedSends } from './tslab-sockets';
import { installInspectHelp } from './inspect';
import { enableCompileCache, warmInBackground } from '../sdk/util/warmup';

enableCompileCache();

interface TslabJupyter {
  lastWriteDisplayData: ((data: unknown, update: boolean) => void) | null;
}

/** How long a stream left as a cell's value keeps updating its live view. */
const BACKGROUND_WATCH = '60s';

export function configPathFrom(argv: string[]): string {
  const i = argv.indexOf('--config-path');
  const inline = argv.find((a) => a.startsWith('--config-path='));
  const value = inline ? inline.slice('--config-path='.length) : i >= 0 ? argv[i + 1] : undefined;
  if (!value) throw new Error('usage: launcher --config-path <connection file>');
  return value;
}

export function startKafkalabKernel(configPath: string): void {
  const root = packageRoot();
  installRuntimeResolver(root);
  installTypeResolver(process.cwd(), root);
  installAutoProgress(root);

  const tslabMain = require.resolve('tslab/dist/main.js', { paths: [root] });
  const jupyter = require(require.resolve('tslab/dist/jupyter.js', { paths: [root] })) as TslabJupyter;
  // The TypeScript that tslab compiles with (parses cells the same way).
  const ts = require(require.resolve('typescript', { paths: [path.dirname(tslabMain)] })) as typeof import('typescript');
  // Before anything can send: one send at a time per socket (zeromq 6 throws EBUSY otherwise).
  const tslabVersion = (require(require.resolve('tslab/package.json', { paths: [root] })) as { version: string }).version;
  installQueuedSends(jupyter as unknown as Record<string, unknown>, tslabVersion);
  installExecuteProtocol(jupyter as unknown as Record<string, unknown>, ts);
  installInspectHelp(jupyter as unknown as Record<string, unknown>, ts, root);
  const interruptListeners = new Set<() => void>();
  const bridge: KernelBridge = {
    state: { plotlyLoaded: false, embedPlotly: process.env.KAFKALAB_PLOTLY === 'inline' },
    send(bundle, displayId, update) {
      const write = jupyter.lastWriteDisplayData;
      if (!write) return false;
      write({ data: bundle.data, metadata: bundle.metadata, transient: displayId ? { display_id: displayId } : {} }, update);
      return true;
    },
    onInterrupt(listener) {
      interruptListeners.add(listener);
      return () => interruptListeners.delete(listener);
    },
  };
  setKernelBridge(bridge);
  // tslab's own SIGINT handler interrupts the executor; this one stops live views too.
  process.on('SIGINT', () => {
    for (const l of [...interruptListeners]) l();
  });

  // tslab hands a cell's value to console.log and its error to console.error, read when the
  // kernel starts: replacing them first routes both through our display.
  const log = console.log.bind(console);
  const error = console.error.bind(console);
  const hook = (...args: unknown[]) => {
    if (args.length === 1 && jupyter.lastWriteDisplayData) {
      const value = args[0];
      // The cell's own value is its execute_result (numbered Out [n]); logged values are display_data.
      const isResult = isCellValuePrint(hook);
      const bundle = toMimeBundle(value, bridge.state);
      if (bundle) {
        if (!(isResult && publishCellResult(bundle.data, bundle.metadata))) bridge.send(bundle, undefined, false);
        return;
      }
      if (isStream(value)) {
        watch(value, { duration: BACKGROUND_WATCH }).catch((err) => error(formatError(err) ?? err));
        return;
      }
      if (isResult && publishCellResult({ 'text/plain': format(value) })) return;
    }
    log(...args);
  };
  console.log = hook;
  console.error = (...args: unknown[]) => {
    // A failing cell's error becomes Jupyter's `error` message (protocol.ts).
    if (captureConsoleError(args)) return;
    const line = args.length === 1 ? formatError(args[0]) : undefined;
    if (line) process.stderr.write(line + '\n');
    else error(...args);
  };

  exitWithParent();
  // What the first cells need, loaded while the kernel waits for the first one (see sdk/util/warmup.ts).
  void warmInBackground([
    () => require(path.join(root, 'dist', 'sdk')),
    () => (require(path.join(root, 'dist', 'sdk', 'frame', 'dataframe')) as typeof import('../sdk/frame/dataframe')).danfo(),
  ]);
  const { startKernel } = require(tslabMain) as { startKernel(o: { configPath: string; enableFindLocal?: boolean; jsKernel?: boolean }): void };
  startKernel({ configPath, enableFindLocal: false, jsKernel: false });
}

/**
 * Like ipykernel's parent poller: when the process that started the kernel (Jupyter) dies
 * without shutting it down, the kernel exits instead of living on as an orphan.
 */
function exitWithParent(): void {
  const parent = process.ppid;
  if (parent <= 1) return;
  setInterval(() => {
    if (process.ppid !== parent) process.exit(0);
  }, 2000).unref();
}

/** A kafkalab stream (or any async iterable that is not a plain iterator of a running loop). */
function isStream(v: unknown): v is AsyncIterable<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function' && typeof (v as { next?: unknown }).next !== 'function';
}

if (require.main === module) {
  startKafkalabKernel(configPathFrom(process.argv.slice(2)));
}
