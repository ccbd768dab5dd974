/**
 * `kafkalab <command>`: each command lives in its own module, loaded only when used, so that
 * `kafkalab broker` starts without loading TensorFlow.js or danfo.
 */
import { KafkalabError } from '../util/errors';

export interface Command {
  summary: string;
  usage: string;
  run(argv: string[]): Promise<number | void>;
}

const commands: Record<string, () => Command> = {
  broker: () => require('./broker').command,
  simulate: () => require('./simulate').command,
  ingest: () => require('./ingest').command,
  export: () => require('./export').command,
  kernel: () => require('./kernel').command,
  notebook: () => require('./notebook').command,
  demo: () => require('./demo').command,
};

function available(): string[] {
  return Object.keys(commands).filter((name) => {
    try {
      commands[name]();
      return true;
    } catch {
      return false;
    }
  });
}

function help(): string {
  const lines = ['Usage: kafkalab <command> [options]', '', 'Commands:'];
  for (const name of available()) lines.push(`  ${name.padEnd(10)} ${commands[name]().summary}`);
  lines.push('', 'Run `kafkalab <command> --help` for the options of one command.');
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help() + '\n');
    return name ? 0 : 1;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(require('../../../package.json').version + '\n');
    return 0;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`kafkalab: unknown command "${name}"\n\n${help()}\n`);
    return 2;
  }
  const command = load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.usage}\n`);
    return 0;
  }
  try {
    const code = await command.run(rest);
    return typeof code === 'number' ? code : 0;
  } catch (err) {
    if (err instanceof KafkalabError) {
      process.stderr.write(`kafkalab ${name}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
