/**
 * Makes `import { connect } from 'kafkalab'` work in a notebook whatever folder it sits in,
 * without `npm install` next to the notebook: at run time (Node's module resolution) and at
 * type-check time (tslab checks every cell with its own TypeScript, which looks for
 * `<cwd>/node_modules/kafkalab`). A real install next to the notebook always wins; only
 * requests that would fail fall back to this package and its own dependencies.
 */
import * as fs from 'fs';
import * as path from 'path';
import Module = require('module');

export const PACKAGE_NAME = 'kafkalab';

/** The folder holding kafkalab's package.json, from source (tsx) or from dist/. */
export function packageRoot(from = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      try {
        if (JSON.parse(fs.readFileSync(pkg, 'utf8')).name === PACKAGE_NAME) return dir;
      } catch {
        /* not ours, keep walking */
      }
    }
    if (path.dirname(dir) === dir) throw new Error(`cannot find the ${PACKAGE_NAME} package above ${from}`);
  }
}

type ResolveFilename = (request: string, parent: unknown, isMain: boolean, options?: unknown) => string;

let runtimeInstalled = false;

/** Node: `kafkalab` and packages kafkalab depends on resolve from the kafkalab install when nothing closer has them. */
export function installRuntimeResolver(root = packageRoot()): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const M = Module as unknown as { _resolveFilename: ResolveFilename };
  const original = M._resolveFilename;
  const fallbackParent = path.join(root, 'package.json');
  M._resolveFilename = function (request, parent, isMain, options) {
    try {
      return original.call(this, request, parent, isMain, options);
    } catch (err) {
      if (!isBareSpecifier(request)) throw err;
      if (request === PACKAGE_NAME || request.startsWith(PACKAGE_NAME + '/')) {
        const rest = request.slice(PACKAGE_NAME.length);
        return original.call(this, rest ? path.join(root, rest) : root, parent, isMain, options);
      }
      try {
        return original.call(this, request, { id: fallbackParent, filename: fallbackParent, paths: (Module as unknown as { _nodeModulePaths(p: string): string[] })._nodeModulePaths(root) }, isMain);
      } catch {
        throw err;
      }
    }
  };
}

function isBareSpecifier(request: string): boolean {
  return !request.startsWith('.') && !path.isAbsolute(request) && !request.startsWith('node:');
}

interface TsSys {
  fileExists(p: string): boolean;
  directoryExists(p: string): boolean;
  readFile(p: string, encoding?: string): string | undefined;
  realpath?(p: string): string;
  getDirectories(p: string): string[];
}

let typesInstalled = false;

/**
 * TypeScript (tslab's copy): paths under `<cwd>/node_modules/kafkalab` map to this package,
 * and `<cwd>/node_modules/<dep>` to this package's `node_modules/<dep>` when it is missing.
 * `realpath` maps too, so imports inside the declaration files resolve from their real place.
 */
export function installTypeResolver(cwd = process.cwd(), root = packageRoot()): void {
  if (typesInstalled) return;
  typesInstalled = true;
  const tslabDir = path.dirname(require.resolve('tslab/package.json', { paths: [root] }));
  const ts = require(require.resolve('@tslab/typescript-for-tslab', { paths: [tslabDir] })) as { sys: TsSys };
  const sys = ts.sys;
  const prefix = path.join(cwd, 'node_modules') + path.sep;
  const orig = {
    fileExists: sys.fileExists.bind(sys),
    directoryExists: sys.directoryExists.bind(sys),
    readFile: sys.readFile.bind(sys),
    realpath: sys.realpath?.bind(sys),
    getDirectories: sys.getDirectories.bind(sys),
  };
  const forward = (p: string): string => {
    const norm = path.normalize(p);
    if (!norm.startsWith(prefix)) return p;
    const rest = norm.slice(prefix.length);
    const [first, second] = rest.split(path.sep);
    const pkg = first.startsWith('@') ? `${first}${path.sep}${second}` : first;
    const real = path.join(prefix, pkg);
    if (fs.existsSync(real)) return p; // a real install next to the notebook wins
    if (pkg === PACKAGE_NAME) return path.join(root, rest.slice(pkg.length));
    const dep = path.join(root, 'node_modules', rest);
    return fs.existsSync(path.join(root, 'node_modules', pkg)) ? dep : p;
  };
  sys.fileExists = (p) => orig.fileExists(forward(p));
  sys.directoryExists = (p) => orig.directoryExists(forward(p));
  sys.readFile = (p, enc) => orig.readFile(forward(p), enc);
  sys.getDirectories = (p) => orig.getDirectories(forward(p));
  if (orig.realpath) {
    const realpath = orig.realpath;
    sys.realpath = (p) => realpath(forward(p));
  }
}
