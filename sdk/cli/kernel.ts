/** `kafkalab kernel install|uninstall|start`: the Jupyter kernel. */
import type { Command } from './main';
import { parseFlags } from './args';
import { KafkalabError } from '../util/errors';

const usage = `Usage: kafkalab kernel <install|uninstall|start> [options]

  install     register the Jupyter kernel "kafkalab" (display name "kafkalab (TypeScript)")
  uninstall   remove it again
  start       run the kernel (what Jupyter does): kafkalab kernel start --config-path FILE

Options for install and uninstall:
  --user               per-user kernels folder (default)
  --sys-prefix         the kernels folder of the Python environment running Jupyter
  --prefix DIR         DIR/share/jupyter/kernels
  --python PATH        Python used to find sys.prefix for --sys-prefix
  --name NAME          kernel name (default kafkalab)
  --display-name TEXT  name shown in Jupyter (default "kafkalab (TypeScript)")

Cells import the SDK by its name, from any folder:  import { connect, plot } from 'kafkalab'`;

const spec = {
  user: { type: 'boolean' },
  sysPrefix: { type: 'boolean' },
  prefix: { type: 'string' },
  python: { type: 'string' },
  name: { type: 'string' },
  displayName: { type: 'string' },
  configPath: { type: 'string' },
} as const;

export const command: Command = {
  summary: 'install or start the kafkalab Jupyter kernel',
  usage,
  async run(argv) {
    const flags = parseFlags(argv, spec, 'kernel');
    const [sub] = flags._;
    const install = require('../../kernel/install') as typeof import('../../kernel/install');
    const chosen = [flags.user, flags.sysPrefix, flags.prefix !== undefined].filter(Boolean).length;
    if (chosen > 1) throw new KafkalabError('choose one of --user, --sys-prefix, --prefix', { code: 'BAD_OPTION' });
    const location = flags.sysPrefix ? 'sys-prefix' : flags.prefix !== undefined ? { prefix: flags.prefix } : 'user';
    const opts = { location, python: flags.python, name: flags.name, displayName: flags.displayName } as const;
    switch (sub) {
      case 'install': {
        const dir = install.installKernel(opts);
        process.stdout.write(`Installed kernel "${flags.name ?? install.KERNEL_NAME}" (${flags.displayName ?? install.DISPLAY_NAME}) in ${dir}\n`);
        return 0;
      }
      case 'uninstall': {
        const dir = install.uninstallKernel(opts);
        process.stdout.write(dir ? `Removed ${dir}\n` : `No kernel "${flags.name ?? install.KERNEL_NAME}" in ${install.kernelsDir(opts.location, opts.python)}\n`);
        return 0;
      }
      case 'start': {
        if (!flags.configPath) throw new KafkalabError('kernel start needs --config-path FILE', { code: 'BAD_OPTION', hint: 'Jupyter passes it; use `kafkalab kernel install` to register the kernel' });
        const launcher = require('../../kernel/launcher') as typeof import('../../kernel/launcher');
        launcher.startKafkalabKernel(flags.configPath);
        return new Promise<number>(() => {}); // runs until Jupyter shuts the kernel down
      }
      default:
        throw new KafkalabError(sub ? `unknown kernel command "${sub}"` : 'kernel needs a command', { code: 'BAD_OPTION', hint: 'use install, uninstall or start' });
    }
  },
};
