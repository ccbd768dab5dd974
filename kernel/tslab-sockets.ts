/**
 * Routes every send tslab makes on its ZeroMQ sockets through a SendQueue (send-queue.ts says
 * why: zeromq 6 throws EBUSY on overlapping sends, which killed the kernel under heavy output).
 *
 * tslab 1.0.x creates its five sockets in `ZmqServer.prototype.init` by plain assignment
 * (`this.iopub = new zmq.Publisher()`, …) and sends with `sock.send(frames)` without awaiting.
 * zeromq's socket objects are not extensible, so instead of patching `send` on them, accessors
 * on ZmqServer.prototype hand tslab a proxy of each socket whose `send` enqueues. After `init`
 * the launcher checks that all five are proxied; if tslab's shape changed, the kernel stops
 * with a message that says so rather than dying later at random.
 */
import { writeSync } from 'fs';
import { Frames, SendQueue } from './send-queue';

/** Metadata flag of display updates whose `application/javascript` parts concatenate when folded. */
export const APPEND_FOLD = 'kafkalab_append';
const JS = 'application/javascript';

export const SOCKET_FIELDS = ['iopub', 'shell', 'control', 'stdin', 'hb'] as const;

interface RawSocket {
  send(frames: Frames): Promise<void>;
}

const queues = new WeakMap<object, SendQueue>();
const RAW = Symbol('kafkalab.rawSockets');

/** The queue behind a socket tslab holds (a proxy installed here); undefined for anything else. */
export function sendQueueOf(socket: unknown): SendQueue | undefined {
  return typeof socket === 'object' && socket !== null ? queues.get(socket) : undefined;
}

/** Writes straight to the kernel's stderr (Jupyter's log): process.stderr is the notebook's while a cell runs. */
function logToJupyter(text: string): void {
  try {
    writeSync(2, text.endsWith('\n') ? text : text + '\n');
  } catch {
    /* nowhere left to report */
  }
}

export function queuedSocket(raw: RawSocket, name: string): RawSocket {
  const queue = new SendQueue(
    (frames) => raw.send(frames),
    (err) => logToJupyter(`kafkalab kernel: a message on the ${name} socket was not sent: ${(err as Error)?.message ?? String(err)}`),
  );
  const send = (frames: Frames) => {
    queue.push(frames);
    return Promise.resolve();
  };
  const proxy = new Proxy(raw, {
    get(target, prop) {
      if (prop === 'send') return send;
      const v = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  queues.set(proxy, queue);
  return proxy;
}

export class TslabShapeError extends Error {}

interface ServerPrototype {
  init(this: object): Promise<void>;
}

/**
 * Installs the socket accessors on tslab's ZmqServer (from `tslab/dist/jupyter.js`) and wraps
 * `init` with the check that they took effect. Throws TslabShapeError when tslab does not look
 * like the version this was written for.
 */
export function installQueuedSends(jupyter: Record<string, unknown>, tslabVersion = 'unknown'): void {
  const changed = (what: string) =>
    new TslabShapeError(
      `kafkalab kernel: tslab ${tslabVersion} ${what}; kafkalab serializes tslab's ZeroMQ sends and cannot do so with this version. ` +
        'Install the tslab version kafkalab was tested with: `npm install tslab@1.0.22` in the kafkalab folder.',
    );
  const Server = jupyter.ZmqServer as { prototype: ServerPrototype & { [RAW]?: true } } | undefined;
  const init = Server?.prototype.init;
  if (!Server || typeof init !== 'function') throw changed('has no ZmqServer.prototype.init');
  if (Server.prototype[RAW]) return;
  const source = Function.prototype.toString.call(init);
  for (const f of SOCKET_FIELDS) if (!source.includes(`this.${f} =`)) throw changed(`no longer creates its ${f} socket in ZmqServer.init`);

  for (const field of SOCKET_FIELDS) {
    const slot = Symbol(field);
    Object.defineProperty(Server.prototype, field, {
      configurable: true,
      get(this: Record<symbol, unknown>) {
        return this[slot];
      },
      set(this: Record<symbol, unknown>, socket: unknown) {
        const ok = typeof socket === 'object' && socket !== null && typeof (socket as RawSocket).send === 'function';
        this[slot] = ok ? queuedSocket(socket as RawSocket, field) : socket;
      },
    });
  }
  Server.prototype[RAW] = true;
  Server.prototype.init = async function (this: Record<string, unknown>) {
    await init.call(this);
    const missing = SOCKET_FIELDS.filter((f) => !sendQueueOf(this[f]));
    if (missing.length) {
      const err = changed(`keeps its ${missing.join(', ')} socket(s) where kafkalab's send queue cannot reach them`);
      logToJupyter(err.message);
      process.exit(1);
    }
  };
}

interface ReplyLike {
  header: { msg_type: string };
  content: unknown;
  signAndSend(key: string, sock: unknown): void;
}

/** The signed frames of a tslab message (its own signing, with a socket that only captures). */
function framesOf(m: ReplyLike, key: string): Frames {
  let frames: Frames = [];
  m.signAndSend(key, { send: (f: Frames) => void (frames = f) });
  return frames;
}

/**
 * Sends one iopub message of a running cell, folding what may be folded: display updates
 * (latest state per display id) and stream text (appended while waiting).
 */
export function publishQueued(iopub: unknown, key: string, m: ReplyLike, parentId: string): void {
  const queue = sendQueueOf(iopub);
  if (!queue) return m.signAndSend(key, iopub);
  const content = m.content as { name?: string; text?: string; transient?: { display_id?: string }; data?: Record<string, unknown>; metadata?: Record<string, unknown> };
  const displayId = content.transient?.display_id;
  if (m.header.msg_type === 'update_display_data' && displayId && content.metadata?.[APPEND_FOLD] === true && typeof content.data?.[JS] === 'string') {
    // Live-chart deltas (runtime.ts LiveChart): each script adds only new points and skips what
    // the page already has, so waiting deltas concatenate instead of replacing each other.
    queue.pushCombined(
      `display:${displayId}`,
      content.data[JS] as string,
      (older, newer) => older + '\n' + newer,
      (js) => {
        m.content = { ...content, data: { ...content.data, [JS]: js } };
        return framesOf(m, key);
      },
    );
  } else if (m.header.msg_type === 'update_display_data' && displayId) {
    queue.pushLatest(`display:${displayId}`, () => framesOf(m, key));
  } else if (m.header.msg_type === 'stream' && typeof content.text === 'string') {
    const name = content.name;
    queue.pushText(`stream:${parentId}:${name}`, content.text, (text) => {
      m.content = { name, text };
      return framesOf(m, key);
    });
  } else {
    queue.push(framesOf(m, key));
  }
}
