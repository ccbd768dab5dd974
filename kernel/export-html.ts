/**
 * `kafkalab notebook html NOTEBOOK.ipynb`: a notebook as one HTML file that draws its charts
 * offline. Notebooks do not carry plotly.js (the Jupyter server serves it, see install.ts), so
 * this is the one place it is embedded: `jupyter nbconvert --to html`, then the bundle once in
 * the page's <head>, where every chart's script finds `window.Plotly`.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { plotlyBundle } from '../sdk/plot/figure';
import { KafkalabError } from '../sdk/util/errors';

export interface NotebookHTMLOptions {
  /** Output file; default the notebook's path with `.html`. */
  output?: string;
  /** Python with nbconvert; default the first of python3, /usr/bin/python3, python that has it. */
  python?: string;
}

/** Inserts plotly.js once into an nbconvert page (idempotent). */
export function embedPlotly(html: string): string {
  if (html.includes('data-kafkalab-plotly')) return html;
  const tag = `<script type="text/javascript" data-kafkalab-plotly>${plotlyBundle()}\n</script>\n`;
  const at = html.search(/<\/head>/i);
  return at < 0 ? tag + html : html.slice(0, at) + tag + html.slice(at);
}

export function notebookHTML(notebook: string, opts: NotebookHTMLOptions = {}): string {
  const file = path.resolve(notebook);
  if (!fs.existsSync(file)) throw new KafkalabError(`no notebook ${file}`, { code: 'NOT_FOUND' });
  const out = path.resolve(opts.output ?? file.replace(/\.ipynb$/i, '') + '.html');
  const candidates = opts.python ? [opts.python] : ['python3', '/usr/bin/python3', 'python'];
  let last = '';
  for (const py of candidates) {
    const r = spawnSync(py, ['-m', 'nbconvert', '--to', 'html', '--stdout', file], { encoding: 'utf8', maxBuffer: 1 << 30 });
    if (r.error) continue;
    if (r.status === 0 && r.stdout) {
      fs.mkdirSync(path.dirname(out), { recursive: true });
      fs.writeFileSync(out, embedPlotly(r.stdout));
      return out;
    }
    last = (r.stderr ?? '').trim().split('\n').slice(-3).join(' ');
  }
  throw new KafkalabError(`nbconvert could not convert ${file}${last ? `: ${last}` : ''}`, {
    code: 'NO_JUPYTER',
    hint: 'install nbconvert (pip install nbconvert, or apt-get install jupyter-nbconvert), or pass --python',
  });
}
