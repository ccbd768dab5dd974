/**
 * Headless Chromium driven through the DevTools protocol, and a classic Jupyter Notebook server
 * with the kafkalab kernel installed in a temporary prefix: what test/notebooks and
 * bench/live-chart.ts use to look at notebooks the way a reader does.
 */
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import * as zlib from 'zlib';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import WebSocket from 'ws';
import { installKernel } from '../../kernel/install';

export const CHROMIUM = '/usr/bin/chromium';
export const PYTHON = '/usr/bin/python3';

export function killGroup(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(-pid, signal);
  } catch {
    /* already gone */
  }
}

export interface Page {
  sessionId: string;
  send(method: string, params?: Record<string, unknown>): Promise<any>;
  /** Evaluates an expression in the page (awaiting a promise it returns) and returns its value. */
  evaluate<T = unknown>(expression: string): Promise<T>;
  /** console.error calls, uncaught exceptions and error log entries since the page opened. */
  errors: string[];
  screenshot(file: string): Promise<Buffer>;
  close(): Promise<void>;
}

/** One Chromium process; `page()` opens a tab (1280x900). */
export class Chromium {
  private ws!: WebSocket;
  private nextId = 1;
  private pending = new Map<number, { resolve(v: any): void; reject(e: Error): void; method: string }>();
  private sessions = new Map<string, string[]>();
  private proc!: ChildProcess;
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-chromium-'));

  static async launch(): Promise<Chromium> {
    const c = new Chromium();
    await c.start();
    return c;
  }

  private async start(): Promise<void> {
    const profile = path.join(this.dir, 'profile');
    fs.mkdirSync(profile);
    this.proc = spawn(CHROMIUM, [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--no-first-run', '--disable-dev-shm-usage', '--disable-background-timer-throttling', '--disable-renderer-backgrounding',
      `--user-data-dir=${profile}`, '--remote-debugging-port=0', '--window-size=1280,900', 'about:blank',
    ], { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc.stderr!.resume();
    const portFile = path.join(profile, 'DevToolsActivePort');
    for (let i = 0; i < 300 && !fs.existsSync(portFile); i++) await new Promise((r) => setTimeout(r, 100));
    const [port, wsPath] = fs.readFileSync(portFile, 'utf8').trim().split('\n');
    this.ws = new WebSocket(`ws://127.0.0.1:${port}${wsPath}`, { maxPayload: 256 * 1024 * 1024 });
    await new Promise((resolve, reject) => (this.ws.once('open', resolve), this.ws.once('error', reject)));
    this.ws.on('message', (raw) => {
      const msg = JSON.parse(raw.toString());
      if (msg.id && this.pending.has(msg.id)) {
        const p = this.pending.get(msg.id)!;
        this.pending.delete(msg.id);
        if (msg.error) p.reject(new Error(`${p.method}: ${JSON.stringify(msg.error)}`));
        else p.resolve(msg.result);
        return;
      }
      const errors = msg.sessionId ? this.sessions.get(msg.sessionId) : undefined;
      if (!errors) return;
      if (msg.method === 'Runtime.consoleAPICalled' && msg.params.type === 'error') {
        errors.push(msg.params.args.map((a: { value?: unknown; description?: string }) => a.value ?? a.description).join(' '));
      } else if (msg.method === 'Runtime.exceptionThrown') {
        errors.push(msg.params.exceptionDetails.exception?.description ?? msg.params.exceptionDetails.text);
      } else if (msg.method === 'Log.entryAdded' && msg.params.entry.level === 'error') {
        errors.push(`${msg.params.entry.text} ${msg.params.entry.url ?? ''}`);
      }
    });
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string, timeoutMs = 120_000): Promise<any> {
    const id = this.nextId++;
    this.ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      setTimeout(() => this.pending.has(id) && (this.pending.delete(id), reject(new Error(`${method} timed out`))), timeoutMs).unref();
    });
  }

  async page(): Promise<Page> {
    const { targetId } = await this.send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await this.send('Target.attachToTarget', { targetId, flatten: true });
    const errors: string[] = [];
    this.sessions.set(sessionId, errors);
    const send = (method: string, params: Record<string, unknown> = {}) => this.send(method, params, sessionId);
    await send('Runtime.enable');
    await send('Log.enable');
    await send('Page.enable');
    await send('Emulation.setDeviceMetricsOverride', { width: 1280, height: 900, deviceScaleFactor: 1, mobile: false });
    return {
      sessionId,
      send,
      errors,
      async evaluate<T>(expression: string): Promise<T> {
        const r = await send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true });
        if (r.exceptionDetails) throw new Error(`evaluate: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
        return r.result.value as T;
      },
      async screenshot(file: string) {
        const shot = await send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: false });
        const png = Buffer.from(shot.data, 'base64');
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, png);
        return png;
      },
      close: async () => {
        this.sessions.delete(sessionId);
        await this.send('Target.closeTarget', { targetId }).catch(() => undefined);
      },
    };
  }

  /** Polls `expression` in `page` until it is truthy (returns it) or `timeoutMs` passes (throws with `what`). */
  static async until<T>(page: Page, expression: string, what: string, timeoutMs = 60_000, everyMs = 200): Promise<T> {
    const end = Date.now() + timeoutMs;
    let last: T | undefined;
    while (Date.now() < end) {
      last = await page.evaluate<T>(expression).catch(() => undefined);
      if (last) return last;
      await new Promise((r) => setTimeout(r, everyMs));
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
  }

  async close(): Promise<void> {
    this.ws?.close();
    if (this.proc?.pid) killGroup(this.proc.pid);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/**
 * A classic Notebook 6 server on a free loopback port serving `dir`, with the kafkalab kernel
 * (and its served plotly.js) installed in a temporary prefix and Jupyter's config and data dirs
 * isolated from the user's. `url(file)` opens a notebook with the token.
 */
export class NotebookServer {
  private proc!: ChildProcess;
  readonly token = Math.random().toString(36).slice(2);
  port = 0;
  readonly home = fs.mkdtempSync(path.join(os.tmpdir(), 'kafkalab-nbserver-'));
  log = '';
  /** The Jupyter dirs of this server (its notebook signatures live in its data dir). */
  jupyterEnv: Record<string, string> = {};

  constructor(readonly dir: string, private readonly env: Record<string, string> = {}) {}

  static async start(dir: string, env: Record<string, string> = {}): Promise<NotebookServer> {
    const s = new NotebookServer(dir, env);
    await s.run();
    return s;
  }

  private async run(): Promise<void> {
    const prefix = path.join(this.home, 'prefix');
    installKernel({ location: { prefix } });
    this.port = await freePort();
    const jupyterEnv = (this.jupyterEnv = {
      JUPYTER_PATH: path.join(prefix, 'share', 'jupyter'),
      JUPYTER_CONFIG_DIR: path.join(this.home, 'config'),
      JUPYTER_DATA_DIR: path.join(this.home, 'data'),
      JUPYTER_RUNTIME_DIR: path.join(this.home, 'runtime'),
      IPYTHONDIR: path.join(this.home, 'ipython'),
    });
    this.proc = spawn(PYTHON, [
      '-m', 'notebook', '--no-browser', '--ip=127.0.0.1', `--port=${this.port}`, '--port-retries=0', `--NotebookApp.token=${this.token}`,
      `--notebook-dir=${this.dir}`, '--NotebookApp.open_browser=False', ...(process.getuid?.() === 0 ? ['--allow-root'] : []),
    ], { cwd: this.dir, detached: true, env: { ...process.env, ...jupyterEnv, ...this.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout!.on('data', (d) => (this.log += d));
    this.proc.stderr!.on('data', (d) => (this.log += d));
    const end = Date.now() + 60_000;
    while (Date.now() < end) {
      if (this.proc.exitCode !== null) throw new Error(`the notebook server exited: ${this.log.slice(-2000)}`);
      const ok = await fetch(`http://127.0.0.1:${this.port}/api/status?token=${this.token}`).then((r) => r.ok, () => false);
      if (ok) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`the notebook server did not start: ${this.log.slice(-2000)}`);
  }

  /** Signs `file` for this server (what `jupyter trust` does, with nbformat's notary and this server's data dir), so it opens trusted. */
  trust(file: string): void {
    const py = 'import sys, nbformat\nfrom nbformat.sign import NotebookNotary\nnb = nbformat.read(sys.argv[1], 4)\nNotebookNotary().sign(nb)';
    const r = spawnSync(PYTHON, ['-c', py, file], { env: { ...process.env, ...this.jupyterEnv }, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`jupyter trust failed: ${r.stderr}`);
  }

  url(file: string): string {
    return `http://127.0.0.1:${this.port}/notebooks/${encodeURIComponent(file)}?token=${this.token}`;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** Stops the server; its kernels are its children (they also exit with it, see launcher.ts). */
  async stop(): Promise<void> {
    if (this.proc?.pid && this.proc.exitCode === null) {
      const gone = new Promise((r) => this.proc.once('exit', r));
      killGroup(this.proc.pid, 'SIGTERM');
      await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
      killGroup(this.proc.pid);
    }
    fs.rmSync(this.home, { recursive: true, force: true });
  }
}

/** A notebook file with the kafkalab kernelspec and these code cells (no outputs). */
export function writeNotebook(file: string, cells: string[]): void {
  const nb = {
    cells: cells.map((source) => ({ cell_type: 'code', execution_count: null, metadata: {}, outputs: [], source })),
    metadata: { kernelspec: { name: 'kafkalab', display_name: 'kafkalab (TypeScript)', language: 'typescript' }, language_info: { name: 'typescript' } },
    nbformat: 4,
    nbformat_minor: 5,
  };
  fs.writeFileSync(file, JSON.stringify(nb, null, 1));
}

/** In a classic Notebook page: waits for the kernel, runs every cell, resolves when all have finished. */
export async function runAllCells(page: Page, timeoutMs = 300_000): Promise<void> {
  await Chromium.until(page, `!!(window.Jupyter && Jupyter.notebook && Jupyter.notebook.kernel && Jupyter.notebook.kernel.is_connected() && Jupyter.notebook.kernel_busy === false)`, 'the kernel to be idle', 90_000);
  await page.evaluate(`Jupyter.notebook.execute_all_cells(), true`);
  await Chromium.until(
    page,
    `Jupyter.notebook.get_cells().filter(c => c.cell_type === 'code').every(c => typeof c.input_prompt_number === 'number') && !Jupyter.notebook.kernel_busy`,
    'every cell to finish',
    timeoutMs,
    250,
  );
}

/** Decodes an 8-bit, non-interlaced PNG (what Chromium's screenshots are) to RGBA pixels. */
export function decodePNG(png: Buffer): { width: number; height: number; rgba: Buffer } {
  let pos = 8;
  let width = 0;
  let height = 0;
  let colorType = 0;
  const idat: Buffer[] = [];
  while (pos < png.length) {
    const len = png.readUInt32BE(pos);
    const type = png.toString('ascii', pos + 4, pos + 8);
    const data = png.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      if (data[8] !== 8 || data[12] !== 0) throw new Error('only 8-bit non-interlaced PNGs');
      colorType = data[9];
    } else if (type === 'IDAT') idat.push(data);
    pos += 12 + len;
  }
  const channels = colorType === 6 ? 4 : colorType === 2 ? 3 : 0;
  if (!channels) throw new Error(`PNG colour type ${colorType} not supported`);
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = Buffer.alloc(width * height * 4);
  const prev = Buffer.alloc(stride);
  const cur = Buffer.alloc(stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    raw.copy(cur, 0, y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? cur[i - channels] : 0;
      const b = prev[i];
      const c = i >= channels ? prev[i - channels] : 0;
      let p = 0;
      if (f === 1) p = a;
      else if (f === 2) p = b;
      else if (f === 3) p = (a + b) >> 1;
      else if (f === 4) {
        const pa = Math.abs(b - c);
        const pb = Math.abs(a - c);
        const pc = Math.abs(a + b - 2 * c);
        p = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      cur[i] = (cur[i] + p) & 0xff;
    }
    for (let x = 0; x < width; x++) {
      out[(y * width + x) * 4] = cur[x * channels];
      out[(y * width + x) * 4 + 1] = cur[x * channels + 1];
      out[(y * width + x) * 4 + 2] = cur[x * channels + 2];
      out[(y * width + x) * 4 + 3] = channels === 4 ? cur[x * channels + 3] : 255;
    }
    cur.copy(prev);
  }
  return { width, height, rgba: out };
}
