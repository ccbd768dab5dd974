/**
 * Registers the `kafkalab` kernelspec with Jupyter by writing the kernel folder directly (no
 * Python needed except to find `sys.prefix`). The spec starts our launcher with the node that
 * ran the install, by absolute path, so Jupyter finds it even when node is not on its PATH.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { plotlyAssetName, plotlyBundlePath } from '../sdk/plot/figure';
import { KafkalabError } from '../sdk/util/errors';
import { packageRoot } from './resolve';

export const KERNEL_NAME = 'kafkalab';
export const DISPLAY_NAME = 'kafkalab (TypeScript)';

export interface InstallOptions {
  /** 'user' (default), 'sys-prefix' (the Python environment running Jupyter), or a prefix folder. */
  location?: 'user' | 'sys-prefix' | { prefix: string };
  /** Python used to find sys.prefix for 'sys-prefix'; default: the first of python3, /usr/bin/python3, python with jupyter_client. */
  python?: string;
  name?: string;
  displayName?: string;
  /** Environment variables for the kernel process. */
  env?: Record<string, string>;
}

export interface KernelSpec {
  argv: string[];
  display_name: string;
  language: string;
  interrupt_mode: 'signal';
  env?: Record<string, string>;
  metadata: Record<string, unknown>;
}

export function launcherPath(root = packageRoot()): string {
  const file = path.join(root, 'dist', 'kernel', 'launcher.js');
  if (!fs.existsSync(file)) {
    throw new KafkalabError(`the kernel launcher ${file} is missing`, { code: 'NOT_BUILT', hint: 'run `npm run build` in the kafkalab folder first' });
  }
  return file;
}

export function kernelSpec(opts: InstallOptions = {}, root = packageRoot()): KernelSpec {
  const version = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version as string;
  return {
    argv: [process.execPath, launcherPath(root), '--config-path', '{connection_file}'],
    display_name: opts.displayName ?? DISPLAY_NAME,
    language: 'typescript',
    interrupt_mode: 'signal',
    ...(opts.env && Object.keys(opts.env).length ? { env: opts.env } : {}),
    metadata: { kafkalab: { version, root } },
  };
}

/** Jupyter's per-user data folder, as jupyter_core computes it. */
export function userDataDir(): string {
  if (process.env.JUPYTER_DATA_DIR) return process.env.JUPYTER_DATA_DIR;
  const home = os.homedir();
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Jupyter');
  if (process.platform === 'win32') return path.join(process.env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'jupyter');
  return path.join(process.env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'jupyter');
}

export function pythonSysPrefix(python?: string): string {
  const candidates = python ? [python] : ['python3', '/usr/bin/python3', 'python'];
  for (const py of candidates) {
    const r = spawnSync(py, ['-c', 'import sys, jupyter_client; print(sys.prefix)'], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  throw new KafkalabError(`no Python with Jupyter found (tried ${candidates.join(', ')})`, {
    code: 'NO_JUPYTER',
    hint: 'pass --python /path/to/python of the environment running Jupyter, or use --user',
  });
}

export function kernelsDir(location: InstallOptions['location'] = 'user', python?: string): string {
  if (location === 'user') return path.join(userDataDir(), 'kernels');
  if (location === 'sys-prefix') return path.join(pythonSysPrefix(python), 'share', 'jupyter', 'kernels');
  return path.join(path.resolve(location.prefix), 'share', 'jupyter', 'kernels');
}

const LOGO_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="12" fill="#231f20"/>' +
  '<circle cx="20" cy="32" r="7" fill="#fff"/><circle cx="44" cy="18" r="6" fill="#f7b500"/><circle cx="44" cy="46" r="6" fill="#f7b500"/>' +
  '<path d="M26 29 L38 21 M26 35 L38 43" stroke="#fff" stroke-width="3"/></svg>\n';

/**
 * Where the kernel's charts load plotly.js from: `<data dir>/nbextensions/kafkalab/`, next to
 * the `kernels/` folder. Jupyter serves it at `<base url>nbextensions/kafkalab/…` (classic
 * Notebook; JupyterLab and VS Code draw the Plotly MIME type themselves), so notebooks carry
 * only their figures' data, not the 4.8 MB bundle.
 */
export function assetsDir(location: InstallOptions['location'] = 'user', python?: string): string {
  return path.join(path.dirname(kernelsDir(location, python)), 'nbextensions', 'kafkalab');
}

/** Writes `<kernels>/<name>/kernel.json` (and a logo) and the served plotly.js; returns the kernel folder. */
export function installKernel(opts: InstallOptions = {}): string {
  const dir = path.join(kernelsDir(opts.location, opts.python), opts.name ?? KERNEL_NAME);
  const spec = kernelSpec(opts);
  const assets = assetsDir(opts.location, opts.python);
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'kernel.json'), JSON.stringify(spec, null, 2) + '\n');
    fs.writeFileSync(path.join(dir, 'logo-svg.svg'), LOGO_SVG);
    fs.mkdirSync(assets, { recursive: true });
    // Older versions' bundles go: the file name carries the version charts ask for.
    for (const f of fs.readdirSync(assets)) if (/^plotly-.*\.min\.js$/.test(f) && f !== plotlyAssetName()) fs.rmSync(path.join(assets, f), { force: true });
    fs.copyFileSync(plotlyBundlePath(), path.join(assets, plotlyAssetName()));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new KafkalabError(`cannot write the kernelspec to ${dir} (${code ?? String(err)})`, {
      code: 'INSTALL_FAILED',
      hint: code === 'EACCES' ? 'use --user, or --prefix with a folder you can write' : undefined,
      cause: err,
    });
  }
  return dir;
}

export function uninstallKernel(opts: InstallOptions = {}): string | undefined {
  const dir = path.join(kernelsDir(opts.location, opts.python), opts.name ?? KERNEL_NAME);
  if (!fs.existsSync(path.join(dir, 'kernel.json'))) return undefined;
  fs.rmSync(dir, { recursive: true, force: true });
  // The served plotly.js stays while another kafkalab kernelspec (--name) still uses it.
  const kernels = path.dirname(dir);
  const others = fs.existsSync(kernels) && fs.readdirSync(kernels).some((k) => {
    try {
      return Boolean(JSON.parse(fs.readFileSync(path.join(kernels, k, 'kernel.json'), 'utf8')).metadata?.kafkalab);
    } catch {
      return false;
    }
  });
  if (!others) fs.rmSync(assetsDir(opts.location, opts.python), { recursive: true, force: true });
  return dir;
}
