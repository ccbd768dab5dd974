/**
 * Copies the scoring-app templates (readable TypeScript files under templates/app, excluded from
 * kafkalab's own build) into a project folder, filling `{{NAME}}` placeholders. A placeholder
 * left unfilled is a bug in the generator, so it fails the export instead of shipping.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { KafkalabError } from '../util/errors';

/** Template file names that npm or tools would treat specially inside kafkalab's own tree. */
const RENAMES: Record<string, string> = {
  'package.json.tmpl': 'package.json',
  dockerignore: '.dockerignore',
  gitignore: '.gitignore',
  'README.md.tmpl': 'README.md',
};

/** kafkalab's package root (the folder with its package.json), from source or from dist/. */
export function packageRoot(from = __dirname): string {
  let dir = from;
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(require('fs').readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'kafkalab') return dir;
    } catch {
      // not here: go up
    }
    dir = path.dirname(dir);
  }
  throw new KafkalabError('Cannot find the kafkalab package root (with sdk/export/templates)', { code: 'EXPORT_TEMPLATES' });
}

export function templatesDir(): string {
  return path.join(packageRoot(), 'sdk', 'export', 'templates', 'app');
}

export function fill(text: string, values: Record<string, string>, file: string): string {
  const out = text.replace(/\{\{([A-Z0-9_]+)\}\}/g, (whole, name: string) => {
    if (!(name in values)) throw new KafkalabError(`Template ${file} uses {{${name}}}, which the generator does not fill`, { code: 'EXPORT_TEMPLATES' });
    return values[name];
  });
  return out;
}

/** Writes every template into `dest`, placeholders filled; returns the relative paths written. */
export async function renderTemplates(dest: string, values: Record<string, string>, from = templatesDir()): Promise<string[]> {
  const written: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const entry of await fs.readdir(path.join(from, rel), { withFileTypes: true })) {
      const srcRel = path.join(rel, entry.name);
      if (entry.isDirectory()) {
        await walk(srcRel);
        continue;
      }
      const destRel = path.join(rel, RENAMES[entry.name] ?? entry.name);
      const text = await fs.readFile(path.join(from, srcRel), 'utf8');
      await fs.mkdir(path.dirname(path.join(dest, destRel)), { recursive: true });
      await fs.writeFile(path.join(dest, destRel), fill(text, values, srcRel));
      written.push(destRel);
    }
  };
  await walk('');
  return written.sort();
}
