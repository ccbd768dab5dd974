// Runs `kafkalab <args>` from the TypeScript sources (tests spawn this instead of the built bin).
import { main } from '../../sdk/cli/main';
main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err) => {
    process.stderr.write(String(err?.stack ?? err) + '\n');
    process.exitCode = 1;
  },
);
