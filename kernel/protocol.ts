/**
 * The parts of Jupyter's execute protocol that tslab leaves out, added around tslab's own
 * handlers (its code stays untouched; we wrap two prototype methods):
 * - `execute_input` with the execution count, so front ends and nbconvert number cells
 *   (nbconvert takes a cell's `In [n]` from iopub messages, never from execute_reply);
 * - a failed cell's error as an `error` message (ename, evalue, traceback) and the same fields in
 *   execute_reply, instead of stderr text that nbconvert reports as an empty `<Error>:`;
 * - the cell's value as `execute_result` with the count (tslab prints it with console.log);
 * - shorthand properties expanded before tslab converts the cell (shorthand.ts says why).
 *
 * tslab reports a failing cell by calling `console.error(thrownValue)` (or, for type errors,
 * `console.error('%s%d:%d - %s', file, line, col, message)` per diagnostic) and then resolving
 * its execute with false. The launcher's console.error hands such calls to `captureConsoleError`
 * while a cell runs; we hold them until we know whether the cell failed: if it did, they become
 * the error message, otherwise (a user's own console.error) they go to stderr, one event-loop
 * turn later.
 */
import { redactText } from '../sdk/util/redact';
import { format } from 'util';
import type * as TS from 'typescript';
import { formatError, isKafkalabError } from './display';
import { expandShorthandProperties } from './shorthand';
import { publishQueued } from './tslab-sockets';

type Publish = (msgType: string, content: Record<string, unknown>) => void;

export interface CellError {
  ename: string;
  evalue: string;
  traceback: string[];
}

interface RunningCell {
  count: number;
  publish?: Publish;
  /** A thrown value tslab printed, held until the cell's outcome is known. */
  thrown?: { value: unknown };
  diagnostics: string[];
  error?: CellError;
}

const DIAGNOSTIC_FORMAT = '%s%d:%d - %s';
let running: RunningCell | undefined;
let writeStderr: (text: string) => void = (t) => process.stderr.write(t);

/**
 * Called by the launcher's console.error: true when the call was taken (held as a possible cell
 * error), false when the caller should print it.
 */
export function captureConsoleError(args: unknown[]): boolean {
  const cell = running;
  if (!cell) return false;
  if (args.length === 5 && args[0] === DIAGNOSTIC_FORMAT) {
    cell.diagnostics.push(format(...(args as [string, ...unknown[]])));
    return true;
  }
  if (args.length !== 1) return false;
  flushHeld(cell);
  const held = { value: args[0] };
  cell.thrown = held;
  // tslab ends a failed cell within the same turn of the event loop (its console.error is
  // followed by `return false`, then only promise continuations): anything still held on the
  // next turn was the user's own console.error, printed now rather than when the cell ends.
  setImmediate(() => {
    if (cell.thrown === held && running === cell) flushHeld(cell);
  });
  return true;
}

/** Prints what was held but turned out not to be the cell's error (the user logged it). */
function flushHeld(cell: RunningCell): void {
  if (cell.thrown) {
    const value = cell.thrown.value;
    cell.thrown = undefined;
    writeStderr(redactText(formatError(value) ?? (value instanceof Error ? value.stack ?? String(value) : format(value))) + '\n');
  }
  if (cell.diagnostics.length) writeStderr(cell.diagnostics.splice(0).join('\n') + '\n');
}

/**
 * True when tslab itself called console.log to show the running cell's value (the caller is
 * tslab's executor, not the cell's code). `hook` is the console.log replacement, left out of
 * the stack so the first frame is its caller.
 */
export function isCellValuePrint(hook: Function): boolean {
  if (!running?.publish) return false;
  const probe: { stack?: string } = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 1;
  Error.captureStackTrace(probe, hook);
  Error.stackTraceLimit = limit;
  return /[\\/]tslab[\\/]dist[\\/]executor\.js:/.test(probe.stack ?? '');
}

/** Sends the running cell's value as its `execute_result` (the `Out [n]` of the cell). */
export function publishCellResult(data: Record<string, unknown>, metadata: Record<string, unknown> = {}): boolean {
  const cell = running;
  if (!cell?.publish) return false;
  cell.publish('execute_result', { data, metadata, execution_count: cell.count });
  return true;
}

/** The Jupyter error fields for a value a cell threw; never with a secret in them (sdk/util/redact.ts). */
export function cellError(value: unknown): CellError {
  const e = rawCellError(value);
  return { ename: e.ename, evalue: redactText(e.evalue), traceback: e.traceback.map(redactText) };
}

function rawCellError(value: unknown): CellError {
  const clean = formatError(value);
  if (clean !== undefined) {
    const name = isKafkalabError(value) ? clean.slice(0, clean.indexOf(':')) : 'Interrupted';
    return { ename: name, evalue: clean.slice(clean.indexOf(':') + 1).trim(), traceback: [clean] };
  }
  if (value instanceof Error) {
    const ename = value.name || value.constructor?.name || 'Error';
    return { ename, evalue: value.message, traceback: [`${RED}${ename}${RESET}: ${value.message}`, ...userFrames(value.stack ?? '')] };
  }
  return { ename: 'Error', evalue: format(value), traceback: [`${RED}Uncaught${RESET} ${format(value)}`] };
}

/** ANSI colours: Jupyter front ends render them in tracebacks (IPython's red error name). */
const RED = '\x1b[0;31m';
const RESET = '\x1b[0m';

/**
 * The stack frames worth showing under a cell's error: the cell's own (tslab runs cells as
 * `evalmachine.<anonymous>`, shown as `cell`) and library code it called; not Node's internals
 * nor the kernel's (tslab's executor, kafkalab's kernel/), which say nothing about the cell.
 */
export function userFrames(stack: string): string[] {
  return stack
    .split('\n')
    .filter((l) => /^\s+at /.test(l))
    .filter((l) => !/\(node:|\bnode:internal|[\\/]tslab[\\/]dist[\\/]|[\\/](dist[\\/])?kernel[\\/][\w-]+\.[jt]s|\bnew Promise \(<anonymous>\)|^\s+at <anonymous>$/.test(l))
    .map((l) => l.replace(/evalmachine\.<anonymous>/g, 'cell'));
}

function diagnosticsError(lines: string[]): CellError {
  return { ename: 'TypeScript error', evalue: lines.join('\n'), traceback: lines.map((l) => `TypeScript error: ${l}`) };
}

interface TslabHandler {
  execCount: number;
  handleExecuteImpl(req: { code: string }, writeStream: unknown, writeDisplayData: WriteDisplayData): Promise<unknown>;
  handleExecute(req: unknown, writeStream: unknown, writeDisplayData: unknown): Promise<{ status: string; execution_count?: number }>;
}
type WriteDisplayData = ((data: unknown, update: boolean) => void) & { publish?: Publish };

interface ZmqMessageLike {
  header: { msg_id: string };
  content: Record<string, unknown>;
  createReply(): { header: { msg_type: string }; content: unknown; signAndSend(key: string, sock: unknown): void };
}
interface TslabServer {
  handler: TslabHandler;
  connInfo: { key: string };
  iopub: unknown;
}

/** Installs the additions on tslab's jupyter module (`tslab/dist/jupyter.js`). */
export function installExecuteProtocol(jupyter: Record<string, unknown>, ts?: typeof TS, stderr?: (text: string) => void): void {
  if (stderr) writeStderr = stderr;
  const Handler = jupyter.JupyterHandlerImpl as { prototype: TslabHandler } | undefined;
  const Server = jupyter.ZmqServer as { prototype: TslabServer & { handleExecute(sock: unknown, msg: ZmqMessageLike): Promise<void> } } | undefined;
  if (!Handler?.prototype.handleExecuteImpl || !Server?.prototype.handleExecute) return; // another tslab: keep its behaviour

  const runCell = Handler.prototype.handleExecuteImpl;
  Handler.prototype.handleExecuteImpl = async function (this: TslabHandler, req, writeStream, writeDisplayData) {
    // Runs inside tslab's queue, so the count tslab is about to take is execCount + 1.
    const cell: RunningCell = { count: this.execCount + 1, diagnostics: [], publish: writeDisplayData.publish };
    writeDisplayData.publish?.('execute_input', { code: req.code, execution_count: cell.count });
    running = cell;
    let failed = true;
    try {
      const code = ts ? expandShorthandProperties(req.code, ts) : req.code;
      const result = await runCell.call(this, { ...req, code }, writeStream, writeDisplayData);
      failed = false;
      return result;
    } finally {
      running = undefined;
      if (failed && (cell.thrown || cell.diagnostics.length)) {
        cell.error = cell.thrown ? cellError(cell.thrown.value) : diagnosticsError(cell.diagnostics);
        if (cell.thrown && cell.diagnostics.length) writeStderr(cell.diagnostics.join('\n') + '\n');
        writeDisplayData.publish?.('error', { ...cell.error, execution_count: cell.count });
        (writeDisplayData as { cell?: RunningCell }).cell = cell;
      } else {
        flushHeld(cell);
      }
    }
  };

  Server.prototype.handleExecute = async function (this: TslabServer, sock: unknown, msg: ZmqMessageLike) {
    const publish: Publish = (msgType, content) => {
      const m = msg.createReply();
      m.header.msg_type = msgType;
      m.content = content;
      publishQueued(this.iopub, this.connInfo.key, m, msg.header.msg_id);
    };
    const writeStream = (name: string, text: string) => publish('stream', { name, text });
    const writeDisplayData: WriteDisplayData & { cell?: RunningCell } = (data, update) => publish(update ? 'update_display_data' : 'display_data', data as Record<string, unknown>);
    writeDisplayData.publish = publish;
    const content: Record<string, unknown> = await this.handler.handleExecute(msg.content, writeStream, writeDisplayData);
    const error = writeDisplayData.cell?.error;
    if (content.status === 'error' && error) Object.assign(content, error);
    if (content.status === 'error' && content.ename === undefined) Object.assign(content, { ename: 'Error', evalue: 'the cell failed', traceback: [] });
    const reply = msg.createReply();
    reply.header.msg_type = 'execute_reply';
    reply.content = content;
    reply.signAndSend(this.connInfo.key, sock);
  };
}
