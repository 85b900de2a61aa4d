import { CommanderError } from 'commander';
import { EXIT, MusterError } from '../protocol/errors.js';
import { printError, printJson } from './output.js';
import { buildProgram } from './program.js';

function wantsJson(argv: string[]): boolean {
  return argv.includes('--json');
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram(argv);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit 0; every usage error is bad input.
      return e.exitCode === 0 ? EXIT.ok : EXIT.badInput;
    }
    if (e instanceof MusterError) {
      if (wantsJson(argv)) printJson({ error: e.toWire() });
      printError(`muster: ${e.message}`);
      return e.exitCode;
    }
    // By name: the loader is in a lazily loaded chunk of the bundle, with its own copy of the class.
    if ((e as Error).name === 'ConfigError') {
      if (wantsJson(argv)) printJson({ error: { code: 'config', message: (e as Error).message } });
      printError(`muster: the configuration has errors.\n${(e as Error).message}`);
      return EXIT.badInput;
    }
    printError(`muster: unexpected error: ${(e as Error).stack ?? String(e)}`);
    return EXIT.failure;
  }
}

void main(process.argv).then((code) => {
  process.exitCode = code;
});
