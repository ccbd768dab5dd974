/**
 * The runtime an exported app depends on, as an ordinary npm package: the compiled files of
 * sdk/runtime (JavaScript and type declarations) and of everything they import, packed into a
 * tarball that the app's package.json references as `file:vendor/<name>.tgz`. `npm install`
 * then works offline, an operator sees a versioned package, and the app runs the notebook's
 * code itself rather than copies of it.
 *
 * The import closure is read from the compiled files, so it is exactly what runs. It may reach
 * only Node's built-ins and the packages listed below; anything else fails the export (and the
 * closure test), which keeps danfo, tslab, the broker and the CLI out of every app.
 */
import { builtinModules } from 'module';
import { existsSync, readFileSync, statSync } from 'fs';
import { promises as fs } from 'fs';
import * as path from 'path';
import { gzipSync } from 'zlib';
import { KafkalabError } from '../util/errors';

export const RUNTIME_PACKAGE = '@kafkalab/runtime';
/** Entry module of the package, relative to kafkalab's dist/ (and source) root, without extension. */
export const RUNTIME_ENTRY = 'sdk/runtime/index';
/** Packages the runtime may import, with the versions kafkalab itself installs. */
export const RUNTIME_DEPENDENCIES = ['kafkajs', '@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', 'avsc', 'protobufjs', 'ajv'] as const;
/** Loaded when present, never required: the native TensorFlow backend (see score/backend.ts). */
export const RUNTIME_OPTIONAL = ['@tensorflow/tfjs-node'] as const;

const BUILTINS = new Set(builtinModules);

export interface ImportClosure {
  /** Files under the dist root, posix paths: each module's .js and, when present, its .d.ts. */
  files: string[];
  /** Packages imported (`kafkajs`, `@tensorflow/tfjs`, ...), with the module that imports each first. */
  packages: Map<string, string>;
}

/** The package a bare specifier belongs to (a deep path such as `kafkajs/lib/x` → `kafkajs`), or undefined for a built-in. */
export function packageOf(spec: string): string | undefined {
  if (spec.startsWith('node:') || BUILTINS.has(spec) || BUILTINS.has(spec.split('/')[0])) return undefined;
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Module specifiers of a compiled file: require() calls in .js, import/export/import() in .d.ts. */
function specifiers(text: string): string[] {
  const out: string[] = [];
  const patterns = [/\brequire(?:\.resolve)?\(\s*["']([^"']+)["']\s*\)/g, /\bfrom\s+["']([^"']+)["']/g, /\bimport\(\s*["']([^"']+)["']\s*\)/g, /^\s*import\s+["']([^"']+)["']/gm];
  // Text that only looks like an import (`from '${x}'` in a message) is not a module name.
  for (const re of patterns) for (const m of text.matchAll(re)) if (!/[\s$]/.test(m[1])) out.push(m[1]);
  return out;
}

/** Walks the modules reachable from `entries` (paths without extension under `root`, compiled). */
export function importClosure(root: string, entries: readonly string[] = [RUNTIME_ENTRY]): ImportClosure {
  const seen = new Set<string>();
  const files: string[] = [];
  const packages = new Map<string, string>();
  const queue = [...entries];
  while (queue.length) {
    const mod = queue.shift()!;
    if (seen.has(mod)) continue;
    seen.add(mod);
    let found = false;
    for (const ext of ['.js', '.d.ts']) {
      const file = path.join(root, mod + ext);
      if (!existsSync(file)) continue;
      found = true;
      files.push(mod + ext);
      for (const spec of specifiers(readFileSync(file, 'utf8'))) {
        if (spec.startsWith('.')) {
          const target = path.posix.normalize(path.posix.join(path.posix.dirname(mod), spec)).replace(/\.(js|d\.ts)$/, '');
          queue.push(existsSync(path.join(root, target + '.js')) || existsSync(path.join(root, target + '.d.ts')) ? target : `${target}/index`);
        } else {
          const pkg = packageOf(spec);
          if (pkg !== undefined && !packages.has(pkg)) packages.set(pkg, mod);
        }
      }
    }
    if (!found) throw new KafkalabError(`The runtime module ${mod} is not in ${root}`, { code: 'EXPORT_RUNTIME', hint: 'build kafkalab first: npm run build' });
  }
  return { files: files.sort(), packages };
}

/** The imports the runtime may not have: a package outside RUNTIME_DEPENDENCIES/OPTIONAL, with who imports it. */
export function forbiddenImports(closure: ImportClosure): string[] {
  const allowed = new Set<string>([...RUNTIME_DEPENDENCIES, ...RUNTIME_OPTIONAL]);
  return [...closure.packages].filter(([pkg]) => !allowed.has(pkg)).map(([pkg, by]) => `${pkg} (imported by ${by})`);
}

export interface RuntimePackage {
  /** The tarball, relative to the app folder (posix): what package.json's `file:` points at. */
  file: string;
  name: string;
  version: string;
  dependencies: Record<string, string>;
  files: string[];
}

/**
 * Packs the runtime from kafkalab's build (`<root>/dist`) into `<appDir>/vendor/`. Run from
 * kafkalab's sources (tests), it first checks that the build is not older than the sources.
 */
export async function packRuntime(root: string, appDir: string): Promise<RuntimePackage> {
  const dist = path.join(root, 'dist');
  const closure = importClosure(dist);
  const bad = forbiddenImports(closure);
  if (bad.length) throw new KafkalabError(`The runtime imports ${bad.join(', ')}`, { code: 'EXPORT_RUNTIME', hint: 'sdk/runtime may import only Node built-ins, kafkajs, TensorFlow.js and the schema libraries (avsc, protobufjs, ajv)' });
  checkFresh(root, closure.files);
  const kafkalab = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string; license?: string; dependencies: Record<string, string> };
  const version = kafkalab.version;
  const dependencies: Record<string, string> = {};
  for (const pkg of RUNTIME_DEPENDENCIES) if (closure.packages.has(pkg)) dependencies[pkg] = installedVersion(root, pkg);
  const manifest = {
    name: RUNTIME_PACKAGE,
    version,
    description: `kafkalab's record-to-score runtime (decoding, window features, scaling, model call, verdicts), packed from kafkalab ${version}`,
    license: kafkalab.license ?? 'Apache-2.0',
    main: `${RUNTIME_ENTRY}.js`,
    types: `${RUNTIME_ENTRY}.d.ts`,
    engines: { node: '>=20' },
    dependencies,
  };
  const entries: [string, Buffer][] = [['package.json', Buffer.from(JSON.stringify(manifest, null, 2) + '\n')]];
  for (const f of closure.files) entries.push([f, Buffer.from(readFileSync(path.join(dist, f), 'utf8').replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n'))]);
  const file = `vendor/kafkalab-runtime-${version}.tgz`;
  await fs.mkdir(path.join(appDir, 'vendor'), { recursive: true });
  await fs.writeFile(path.join(appDir, ...file.split('/')), gzipSync(tar(entries.map(([name, data]) => [`package/${name}`, data])), { level: 9 }));
  return { file, name: RUNTIME_PACKAGE, version, dependencies, files: closure.files };
}

function installedVersion(root: string, pkg: string): string {
  return (JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`, { paths: [root] }), 'utf8')) as { version: string }).version;
}

/** From kafkalab's sources, a build older than a source file of the closure would pack stale code. */
function checkFresh(root: string, files: readonly string[]): void {
  for (const f of files) {
    if (!f.endsWith('.js')) continue;
    const source = path.join(root, f.replace(/\.js$/, '.ts'));
    if (existsSync(source) && statSync(source).mtimeMs > statSync(path.join(root, 'dist', f)).mtimeMs) {
      throw new KafkalabError(`dist/${f} is older than ${path.relative(root, source)}`, { code: 'EXPORT_RUNTIME', hint: 'run npm run build before exporting from kafkalab\'s sources' });
    }
  }
}

/** A ustar archive of regular files; fixed times and owners, so equal contents give equal bytes. */
function tar(files: [string, Buffer][]): Buffer {
  const blocks: Buffer[] = [];
  for (const [name, data] of files) {
    const h = Buffer.alloc(512);
    let prefix = '';
    let base = name;
    if (Buffer.byteLength(name) > 100) {
      const cut = name.lastIndexOf('/', 155);
      prefix = name.slice(0, cut);
      base = name.slice(cut + 1);
    }
    h.write(base, 0, 100, 'utf8');
    h.write('0000644\0', 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write(data.length.toString(8).padStart(11, '0') + '\0', 124);
    h.write((499162500).toString(8).padStart(11, '0') + '\0', 136); // 1985-10-26, npm's fixed time
    h.write('        ', 148);
    h.write('0', 156);
    h.write('ustar\0' + '00', 257);
    h.write(prefix, 345, 155, 'utf8');
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    blocks.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}
