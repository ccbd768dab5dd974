/** `kafkalab notebook html NOTEBOOK.ipynb [--output FILE]`: a notebook as HTML that draws its charts offline. */
import type { Command } from './main';
import { parseFlags } from './args';
import { KafkalabError } from '../util/errors';

const usage = `Usage: kafkalab notebook html NOTEBOOK.ipynb [--output FILE] [--python PATH]

  html   convert with jupyter nbconvert and embed plotly.js once, so the charts draw offline
         (notebooks themselves load plotly.js from the Jupyter server: \`kafkalab kernel install\`)

Options:
  --output FILE   default: NOTEBOOK.html next to the notebook
  --python PATH   Python with nbconvert (default: python3, /usr/bin/python3, python)`;

const spec = { output: { type: 'string', alias: 'o' }, python: { type: 'string' } } as const;

export const command: Command = {
  summary: 'export a notebook as HTML that draws its charts offline',
  usage,
  async run(argv) {
    const flags = parseFlags(argv, spec, 'notebook');
    const [sub, file] = flags._;
    if (sub !== 'html') throw new KafkalabError(sub ? `unknown notebook command "${sub}"` : 'notebook needs a command', { code: 'BAD_OPTION', hint: 'use: kafkalab notebook html NOTEBOOK.ipynb' });
    if (!file) throw new KafkalabError('notebook html needs a notebook file', { code: 'BAD_OPTION' });
    const { notebookHTML } = require('../../kernel/export-html') as typeof import('../../kernel/export-html');
    process.stdout.write(`Wrote ${notebookHTML(file, { output: flags.output, python: flags.python })}\n`);
    return 0;
  },
};
